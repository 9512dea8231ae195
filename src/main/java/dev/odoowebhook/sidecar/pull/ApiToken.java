package dev.odoowebhook.sidecar.pull;

import java.util.List;

/** An authenticated API token: its id, name and the model patterns it may read. Immutable. */
public record ApiToken(long id, String name, List<String> scopes) {}
