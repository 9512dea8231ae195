package dev.odoowebhook.sidecar;

public final class OdooWebhookSidecar {
  public static void main(String[] args) {}
}
