// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A broker destination as a subscriber's URL names it:
 *
 * <pre>
 * kafka://host:port[,host:port...]/topic[?tls=true][&amp;sasl=PLAIN|SCRAM-SHA-256|SCRAM-SHA-512]
 * nats://host:port[,host:port...]/subject.prefix[?tls=true]
 * </pre>
 *
 * The URL carries no credentials (a URL is shown and logged): user names, passwords and tokens live
 * in webhook_broker_credential, read like the subscriber's secret. Immutable.
 */
public record BrokerUrl(Kind kind, List<String> servers, String target, boolean tls, String sasl) {

  /** The broker kinds, by URL scheme. */
  public enum Kind {
    KAFKA,
    NATS;

    public String scheme() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Set<String> SASL_MECHANISMS =
      Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

  /** Kafka's own rule for topic names. */
  private static final Pattern KAFKA_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  /** Tokens of a NATS subject: no wildcards, no whitespace, no empty token. */
  private static final Pattern NATS_TOKEN = Pattern.compile("[^\\s.*>]+");

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[a-zA-Z0-9.-]+):([0-9]{1,5})");

  /** Whether the URL's scheme names a broker (kafka, nats), valid or not. */
  public static boolean isBroker(URI url) {
    return url != null && isBrokerScheme(url.getScheme());
  }

  public static boolean isBrokerScheme(String scheme) {
    return "kafka".equalsIgnoreCase(scheme) || "nats".equalsIgnoreCase(scheme);
  }

  /** Why a broker URL cannot be used, as the end of "The URL is ..." sentences; null if fine. */
  public static String problemWith(String url) {
    try {
      parse(url);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * Reads a broker URL.
   *
   * @throws IllegalArgumentException with what to fix
   */
  public static BrokerUrl parse(String url) {
    int schemeEnd = url.indexOf("://");
    if (schemeEnd < 0 || !isBrokerScheme(url.substring(0, schemeEnd))) {
      throw new IllegalArgumentException("a broker URL starts with kafka:// or nats://");
    }
    Kind kind = Kind.valueOf(url.substring(0, schemeEnd).toUpperCase(Locale.ROOT));
    String rest = url.substring(schemeEnd + 3);
    if (rest.contains("#")) {
      throw new IllegalArgumentException("the URL must not have a #fragment");
    }
    String query = null;
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String target = slash < 0 ? "" : rest.substring(slash + 1);
    if (authority.contains("@")) {
      throw new IllegalArgumentException(
          "the URL must not carry user:password@; give broker credentials with"
              + " --broker-user and --broker-password (CLI) or webhook_set_broker_credentials"
              + " (SQL), which keep them in webhook_broker_credential like the subscriber's"
              + " secret");
    }
    List<String> servers = servers(authority, kind);
    checkTarget(kind, target);
    boolean tls = false;
    String sasl = null;
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String key = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : pair.substring(eq + 1);
        if (key.equals("tls")) {
          if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("tls must be true or false, not \"" + value + "\"");
          }
          tls = value.equals("true");
        } else if (key.equals("sasl") && kind == Kind.KAFKA) {
          sasl = value.toUpperCase(Locale.ROOT);
          if (!SASL_MECHANISMS.contains(sasl)) {
            throw new IllegalArgumentException(
                "sasl must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512,"
                    + " not \""
                    + value
                    + "\"");
          }
        } else {
          throw new IllegalArgumentException(
              "unknown option \""
                  + key
                  + "\" in the "
                  + kind.scheme()
                  + " URL; the options are tls=true"
                  + (kind == Kind.KAFKA ? " and sasl=MECHANISM" : ""));
        }
      }
    }
    return new BrokerUrl(kind, List.copyOf(servers), target, tls, sasl);
  }

  private static List<String> servers(String authority, Kind kind) {
    if (authority.isEmpty()) {
      throw new IllegalArgumentException("the URL has no host:port");
    }
    List<String> servers = new ArrayList<>();
    for (String server : authority.split(",", -1)) {
      var m = HOST_PORT.matcher(server);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "\""
                + server
                + "\" is not host:port (a "
                + kind.scheme()
                + " URL names each server with its port, e.g. "
                + kind.scheme()
                + "://broker:"
                + (kind == Kind.KAFKA ? "9092/odoo.changes" : "4222/odoo.changes")
                + ")");
      }
      int port = Integer.parseInt(m.group(2));
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("the port " + port + " is not a number from 1 to 65535");
      }
      servers.add(server);
    }
    return servers;
  }

  private static void checkTarget(Kind kind, String target) {
    if (kind == Kind.KAFKA) {
      if (!KAFKA_TOPIC.matcher(target).matches()) {
        throw new IllegalArgumentException(
            target.isEmpty()
                ? "the URL names no topic: kafka://host:port/topic"
                : "\""
                    + target
                    + "\" is not a Kafka topic name (letters, digits, . _ -, at most 249)");
      }
      return;
    }
    if (target.isEmpty()) {
      throw new IllegalArgumentException(
          "the URL names no subject prefix: nats://host:port/subject.prefix");
    }
    for (String token : target.split("\\.", -1)) {
      if (!NATS_TOKEN.matcher(token).matches()) {
        throw new IllegalArgumentException(
            "\""
                + target
                + "\" is not a NATS subject prefix (tokens"
                + " separated by single dots, no wildcards * or >, no spaces)");
      }
    }
  }

  /** Where one record's messages go: the Kafka key or the NATS subject. */
  public String addressOf(String model, long recordId) {
    return kind == Kind.KAFKA ? kafkaKey(model, recordId) : natsSubject(target, model, recordId);
  }

  /** The Kafka key of a record: {@code model:record_id}, so one record stays on one partition. */
  public static String kafkaKey(String model, long recordId) {
    return model + ":" + recordId;
  }

  /**
   * The NATS subject of a record: {@code prefix.<model>.<record_id>}, the model with its dots as
   * underscores (as Odoo names its table: res.partner is res_partner), so that one model is one
   * subject token and {@code prefix.res_partner.>} reads one model.
   */
  public static String natsSubject(String prefix, String model, long recordId) {
    return prefix + "." + model.replace('.', '_') + "." + recordId;
  }
}
