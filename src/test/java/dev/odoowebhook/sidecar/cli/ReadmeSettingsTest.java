// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's settings table is generated from the Setting table, so they never disagree.
 * Regenerate with: UPDATE_README=1 mvn test -Dtest=ReadmeSettingsTest
 */
class ReadmeSettingsTest {
  private static final String START = "<!-- settings:start (generated from Setting.java) -->\n";
  private static final String END = "<!-- settings:end -->";

  @Test
  void readmeSettingsTableShouldMatchTheSettingTable() throws IOException {
    Path readme = Path.of("README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int from = text.indexOf(START);
    int to = text.indexOf(END);
    String expected = Help.settingsMarkdown();
    if ("1".equals(System.getenv("UPDATE_README"))) {
      text = text.substring(0, from + START.length()) + expected + text.substring(to);
      Files.writeString(readme, text, StandardCharsets.UTF_8);
      return;
    }
    assertEquals(
        expected,
        text.substring(from + START.length(), to),
        "README.md's settings table is out of date: UPDATE_README=1 mvn test -Dtest=ReadmeSettingsTest");
  }
}
