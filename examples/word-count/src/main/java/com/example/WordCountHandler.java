package com.example;

import dev.offload.task.InvalidInputException;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Counts the words of a text and names the most frequent ones. */
public final class WordCountHandler
    implements TaskHandler<WordCountHandler.Input, WordCountHandler.Result> {

  /** A task's "input". {@code top} may be left out: it is null then. */
  public record Input(String text, Integer top) {}

  public record Word(String word, int count) {}

  /** A task's "result". */
  public record Result(int words, int distinct, List<Word> top) {}

  @Override
  public String type() {
    return "word-count";
  }

  @Override
  public String description() {
    return "Counts the words of 'text' and lists the 'top' (default 10) most frequent.";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input example() {
    return new Input("the quick brown fox jumps over the lazy dog", 3);
  }

  /** Runs when the task is submitted: a bad input is a 422 at once, not a failed task later. */
  @Override
  public void validate(Input in) throws InvalidInputException {
    if (in.text() == null || in.text().length() > 1_000_000) {
      throw new InvalidInputException("'text' is required, at most 1000000 characters");
    }
    if (in.top() != null && (in.top() < 1 || in.top() > 100)) {
      throw new InvalidInputException("'top' must be 1..100");
    }
  }

  @Override
  public Result run(Input in, TaskContext context) throws Exception {
    String[] words = in.text().toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+");
    Map<String, Integer> counts = new HashMap<>();
    int total = 0;
    for (int i = 0; i < words.length; i++) {
      if (i % 10_000 == 0) {
        context.checkInterrupted(); // canceled, timed out, or the server is stopping
        context.progress(i * 100 / words.length, i + " of " + words.length + " words");
      }
      if (!words[i].isEmpty()) {
        counts.merge(words[i], 1, Integer::sum);
        total++;
      }
    }
    context.progress(100, total + " words");
    List<Word> top = counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
            .thenComparing(Map.Entry.comparingByKey()))
        .limit(in.top() == null ? 10 : in.top())
        .map(e -> new Word(e.getKey(), e.getValue()))
        .toList();
    return new Result(total, counts.size(), top);
  }
}
