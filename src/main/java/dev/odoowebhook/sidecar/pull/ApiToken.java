// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import dev.odoowebhook.sidecar.delivery.PayloadMode;
import java.util.List;

/**
 * An authenticated API token: its id, name, the model patterns it may read, and what its answers
 * carry (ids; or also changes; or also the record), as a webhook subscriber's payload. Immutable.
 */
public record ApiToken(long id, String name, List<String> scopes, PayloadMode content) {}
