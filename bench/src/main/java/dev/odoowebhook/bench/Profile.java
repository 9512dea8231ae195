// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of the sidecar (what `jfr print --events jdk.ExecutionSample` shows,
 * counted): CPU samples by thread, by top frame, and by the innermost frame of the sidecar's own
 * code (which of its units the CPU time is spent under).
 */
final class Profile {
  private Profile() {}

  static Map<String, Object> summarise(Path jfr) throws IOException {
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> byTop = new HashMap<>();
    Map<String, Integer> byOwn = new HashMap<>();
    Map<String, Integer> byPackage = new HashMap<>();
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      samples++;
      String thread =
          e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
      byThread.merge(thread == null ? "?" : thread.replaceAll("-?\\d+$", ""), 1, Integer::sum);
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = st.getFrames();
      byTop.merge(name(frames.get(0)), 1, Integer::sum);
      byPackage.merge(pkg(frames.get(0)), 1, Integer::sum);
      for (RecordedFrame f : frames) {
        if (f.getMethod().getType().getName().startsWith("dev.odoowebhook")) {
          byOwn.merge(name(f), 1, Integer::sum);
          break;
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("execution_samples", samples);
    out.put("by_thread", top(byThread, 8));
    out.put("by_package_of_top_frame", top(byPackage, 10));
    out.put("by_top_frame", top(byTop, 12));
    out.put("by_innermost_sidecar_frame", top(byOwn, 12));
    return out;
  }

  private static String name(RecordedFrame f) {
    String type = f.getMethod().getType().getName();
    return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
  }

  private static String pkg(RecordedFrame f) {
    String type = f.getMethod().getType().getName();
    String[] parts = type.split("\\.");
    return parts.length > 2 ? parts[0] + "." + parts[1] + "." + parts[2] : type;
  }

  private static Map<String, Integer> top(Map<String, Integer> counts, int n) {
    Map<String, Integer> out = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(n)
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> p) {
    int total = (Integer) p.get("execution_samples");
    StringBuilder md =
        new StringBuilder(
            "JFR profile of the sidecar while draining ("
                + total
                + " CPU execution samples, `settings=profile`):\n\n");
    for (String key :
        List.of(
            "by_thread", "by_package_of_top_frame", "by_innermost_sidecar_frame", "by_top_frame")) {
      md.append("| ").append(key.replace('_', ' ')).append(" | samples | share |\n|---|---|---|\n");
      for (Map.Entry<String, Integer> e : ((Map<String, Integer>) p.get(key)).entrySet()) {
        md.append("| `")
            .append(e.getKey())
            .append("` | ")
            .append(e.getValue())
            .append(" | ")
            .append(total == 0 ? "" : String.format("%.0f%%", 100.0 * e.getValue() / total))
            .append(" |\n");
      }
      md.append("\n");
    }
    return md.toString();
  }
}
