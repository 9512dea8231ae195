// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.util.regex.Pattern;

/** URLs as the CLI shows them: never with a user:password@ part, which may hold a secret. */
final class Urls {
  private static final Pattern USER_INFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@");

  private Urls() {}

  /** The URL with any userinfo replaced by "***"; works on text that does not parse too. */
  static String withoutUserInfo(String url) {
    return url == null ? null : USER_INFO.matcher(url).replaceFirst("$1***@");
  }
}
