// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.util.Collection;
import java.util.Map;

/** A minimal JSON writer for the raw results (maps, lists, numbers, strings, booleans). */
final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, Object v, int indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
        string(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), indent + 1);
        first = false;
      }
      sb.append(first ? "}" : "\n" + "  ".repeat(indent) + "}");
    } else if (v instanceof Collection<?> c) {
      boolean flat = c.stream().allMatch(x -> x instanceof Number || x instanceof String);
      sb.append('[');
      boolean first = true;
      for (Object x : c) {
        if (flat) {
          sb.append(first ? "" : ", ");
        } else {
          sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
        }
        write(sb, x, indent + 1);
        first = false;
      }
      sb.append(flat || first ? "]" : "\n" + "  ".repeat(indent) + "]");
    } else if (v instanceof double[] arr) {
      sb.append('[');
      for (int i = 0; i < arr.length; i++) {
        sb.append(i == 0 ? "" : ", ");
        write(sb, arr[i], indent);
      }
      sb.append(']');
    } else if (v instanceof Double d) {
      sb.append(
          d.isNaN() || d.isInfinite() ? "null" : String.format(java.util.Locale.ROOT, "%.4f", d));
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else {
      string(sb, v.toString());
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    sb.append('"');
  }
}
