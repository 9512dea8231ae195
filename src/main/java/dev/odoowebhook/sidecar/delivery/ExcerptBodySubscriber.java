package dev.odoowebhook.sidecar.delivery;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Keeps the first bytes of a response body and drops the rest, so a receiver answering with a
 * huge body cannot fill the sidecar's memory. The JDK offers no bounded body handler.
 */
final class ExcerptBodySubscriber implements HttpResponse.BodySubscriber<String> {
  private final int limit;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final CompletableFuture<String> result = new CompletableFuture<>();

  ExcerptBodySubscriber(int limit) {
    this.limit = limit;
  }

  static HttpResponse.BodyHandler<String> handler(int limit) {
    return info -> new ExcerptBodySubscriber(limit);
  }

  @Override
  public CompletionStage<String> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    for (ByteBuffer b : buffers) {
      int take = Math.min(b.remaining(), limit - kept.size());
      if (take > 0) {
        byte[] chunk = new byte[take];
        b.get(chunk);
        kept.write(chunk, 0, take);
      }
    }
  }

  @Override
  public void onError(Throwable throwable) {
    result.completeExceptionally(throwable);
  }

  @Override
  public void onComplete() {
    // Invalid UTF-8 becomes U+FFFD: the excerpt is for a human reading a failure.
    result.complete(new String(kept.toByteArray(), StandardCharsets.UTF_8));
  }
}
