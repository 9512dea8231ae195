"""Broker destinations as a subscriber's URL names them (docs/brokers.md):

    kafka://host:port[,host:port...]/topic[?tls=true][&sasl=PLAIN|SCRAM-SHA-256|SCRAM-SHA-512]
    nats://host:port[,host:port...]/subject.prefix[?tls=true]

The same rules, in the same words, as the sidecar's BrokerUrl.java, so the addon refuses what
the sidecar could not use. The schema's CHECK constraint (sql/V18) only tells the shape.
"""

import re

SCHEMES = ("kafka", "nats")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# Kafka's own rule for topic names.
KAFKA_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")
# Tokens of a NATS subject: no wildcards, no whitespace (Java's \s: ASCII), no empty token.
NATS_TOKEN = re.compile(r"[^ \t\n\x0b\f\r.*>]+")
HOST_PORT = re.compile(r"(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):([0-9]{1,5})")
EXAMPLE_PORT = {"kafka": "9092/odoo.changes", "nats": "4222/odoo.changes"}


def broker_scheme(url):
    """'kafka' or 'nats' when the URL names a broker (valid or not), else None."""
    scheme, sep, _rest = (url or "").partition("://")
    return scheme.lower() if sep and scheme.lower() in SCHEMES else None


def broker_url_problem(url):
    """Why a broker URL cannot be used, as the end of a sentence; None if it can."""
    kind = broker_scheme(url)
    if not kind:
        return "a broker URL starts with kafka:// or nats://"
    rest = url.partition("://")[2]
    if "#" in rest:
        return "the URL must not have a #fragment"
    rest, has_query, query = rest.partition("?")
    authority, _slash, target = rest.partition("/")
    if "@" in authority:
        # The sidecar's words name its table; an Odoo admin enters them in the form instead.
        return (
            "the URL must not carry user:password@; enter them as the subscriber's broker "
            "credentials (kept like its secret, never shown again)"
        )
    return _servers_problem(kind, authority) or _target_problem(kind, target) or (
        _options_problem(kind, query) if has_query else None
    )


def _servers_problem(kind, authority):
    if not authority:
        return "the URL has no host:port"
    for server in authority.split(","):
        match = HOST_PORT.fullmatch(server)
        if not match:
            return (
                f'"{server}" is not host:port (a {kind} URL names each server with its port, '
                f"e.g. {kind}://broker:{EXAMPLE_PORT[kind]})"
            )
        port = int(match.group(2))
        if not 1 <= port <= 65535:
            return f"the port {port} is not a number from 1 to 65535"
    return None


def _target_problem(kind, target):
    if kind == "kafka":
        if KAFKA_TOPIC.fullmatch(target):
            return None
        if not target:
            return "the URL names no topic: kafka://host:port/topic"
        return f'"{target}" is not a Kafka topic name (letters, digits, . _ -, at most 249)'
    if not target:
        return "the URL names no subject prefix: nats://host:port/subject.prefix"
    if not all(NATS_TOKEN.fullmatch(token) for token in target.split(".")):
        return (
            f'"{target}" is not a NATS subject prefix (tokens separated by single dots, '
            "no wildcards * or >, no spaces)"
        )
    return None


def _options_problem(kind, query):
    pairs = query.split("&")
    while pairs and not pairs[-1]:  # as Java's String.split: trailing empty pieces are dropped
        pairs.pop()
    for pair in pairs:
        key, _eq, value = pair.partition("=")
        if key == "tls":
            if value not in ("true", "false"):
                return f'tls must be true or false, not "{value}"'
        elif key == "sasl" and kind == "kafka":
            if value.upper() not in SASL_MECHANISMS:
                return f'sasl must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, not "{value}"'
        else:
            options = "tls=true" + (" and sasl=MECHANISM" if kind == "kafka" else "")
            return f'unknown option "{key}" in the {kind} URL; the options are {options}'
    return None
