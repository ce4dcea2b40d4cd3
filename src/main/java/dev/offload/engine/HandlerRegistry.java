package dev.offload.engine;

import dev.offload.task.TaskHandler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The task types this instance knows, by name. */
public final class HandlerRegistry {

  private final Map<String, TaskHandler<?, ?>> byType;

  public HandlerRegistry(Collection<? extends TaskHandler<?, ?>> handlers) {
    Map<String, TaskHandler<?, ?>> map = new TreeMap<>();
    for (TaskHandler<?, ?> h : handlers) {
      String type = checkedType(h);
      TaskHandler<?, ?> previous = map.putIfAbsent(type, h);
      if (previous != null) {
        throw new IllegalArgumentException(
            "two handlers for type '" + type + "': " + previous.getClass().getName() + " and "
                + h.getClass().getName());
      }
    }
    this.byType = Collections.unmodifiableMap(map);
  }

  /**
   * The handler's type name, if it is one clients can use.
   *
   * @throws IllegalArgumentException naming the handler's class when it is not
   */
  public static String checkedType(TaskHandler<?, ?> h) {
    String type = h.type();
    if (type == null || !type.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "handler " + h.getClass().getName() + " has an invalid type name '" + type
              + "': use 1-64 characters of a-z, 0-9, '.', '_' or '-'");
    }
    return type;
  }

  /** This registry's handlers and {@code more}; a type twice is refused as in the constructor. */
  public HandlerRegistry with(Collection<? extends TaskHandler<?, ?>> more) {
    List<TaskHandler<?, ?>> all = new ArrayList<>(byType.values());
    all.addAll(more);
    return new HandlerRegistry(all);
  }

  /** Finds every {@link TaskHandler} listed in {@code META-INF/services} of the class loader. */
  public static HandlerRegistry discover(ClassLoader loader) {
    return discover(loader, List.of());
  }

  /**
   * The handlers listed in {@code META-INF/services} and {@code builtIns}: those the caller
   * built itself because they need settings (no service has a constructor with arguments).
   */
  @SuppressWarnings("rawtypes")
  public static HandlerRegistry discover(ClassLoader loader,
      Collection<? extends TaskHandler<?, ?>> builtIns) {
    List<TaskHandler<?, ?>> found = new ArrayList<>(builtIns);
    for (TaskHandler h : ServiceLoader.load(TaskHandler.class, loader)) {
      found.add(h);
    }
    return new HandlerRegistry(found);
  }

  public Optional<TaskHandler<?, ?>> find(String type) {
    return Optional.ofNullable(byType.get(type));
  }

  /** All handlers, sorted by type name. */
  public Collection<TaskHandler<?, ?>> all() {
    return byType.values();
  }

  public List<String> types() {
    return List.copyOf(byType.keySet());
  }
}
