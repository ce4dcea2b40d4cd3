package dev.offload.outbound;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a response body up to {@code cap} bytes and then cancels the subscription, which makes
 * the HttpClient drop the connection: a body of any size costs at most {@code cap} bytes of
 * memory and the time to receive them. One byte past the cap is read to tell "exactly the cap"
 * from "cut".
 */
final class CappedBody implements BodySubscriber<CappedBody.Bytes> {

  /** What was read; {@code truncated} when the body went on past the cap. */
  record Bytes(byte[] bytes, boolean truncated) {}

  private final int cap;
  private final ByteArrayOutputStream buffer;
  private final CompletableFuture<Bytes> result = new CompletableFuture<>();
  private Flow.Subscription subscription;

  CappedBody(int cap) {
    this.cap = cap;
    this.buffer = new ByteArrayOutputStream(Math.min(cap + 1, 8192));
  }

  @Override
  public CompletionStage<Bytes> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      int room = cap + 1 - buffer.size();
      int n = Math.min(room, b.remaining());
      byte[] chunk = new byte[n];
      b.get(chunk);
      buffer.writeBytes(chunk);
      if (buffer.size() > cap) {
        byte[] all = buffer.toByteArray();
        byte[] kept = new byte[cap];
        System.arraycopy(all, 0, kept, 0, cap);
        result.complete(new Bytes(kept, true));
        subscription.cancel();
        return;
      }
    }
    subscription.request(1);
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(new Bytes(buffer.toByteArray(), false));
  }
}
