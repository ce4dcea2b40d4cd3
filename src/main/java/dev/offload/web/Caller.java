package dev.offload.web;

import dev.offload.engine.Access;
import dev.offload.task.Task;
import jakarta.servlet.http.HttpServletRequest;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who is calling, as the {@link AuthFilter} established it: the owner name (the principal's
 * name, or a token's owner) and the roles.
 *
 * @param via how the caller was identified; a browser sends container credentials by itself, so
 *     only those callers are held to the same-origin rule
 */
record Caller(String owner, Set<Role> roles, Via via) {

  /** How a caller was identified. */
  enum Via {
    CONTAINER,
    TOKEN,
    NONE,
    /** Not identified (only health answers such a caller). */
    ANONYMOUS
  }

  static final String ATTRIBUTE = Caller.class.getName();

  Caller {
    roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
  }

  /** Every caller when authentication is off: one owner with every right. */
  static Caller everyone() {
    return new Caller(Task.ANONYMOUS, EnumSet.allOf(Role.class), Via.NONE);
  }

  static Caller anonymous() {
    return new Caller("", Set.of(), Via.ANONYMOUS);
  }

  /** The caller of a request that passed the {@link AuthFilter}. */
  static Caller of(HttpServletRequest req) {
    Object c = req.getAttribute(ATTRIBUTE);
    if (c instanceof Caller caller) {
      return caller;
    }
    throw new IllegalStateException("no caller: is dev.offload.web.AuthFilter mapped to /api/*?");
  }

  boolean has(Role r) {
    return roles.contains(r);
  }

  /** Any Offload role at all. */
  boolean isKnown() {
    return !roles.isEmpty();
  }

  boolean canSubmit() {
    return has(Role.USER) || has(Role.ADMIN);
  }

  boolean canRead() {
    return has(Role.USER) || has(Role.VIEWER) || has(Role.ADMIN);
  }

  boolean seesEveryone() {
    return has(Role.VIEWER) || has(Role.ADMIN);
  }

  boolean canCancelOwn() {
    return has(Role.USER) || has(Role.ADMIN);
  }

  boolean canCancelAny() {
    return has(Role.ADMIN);
  }

  /** Whose tasks this caller reads. */
  Access readAccess() {
    return seesEveryone() ? Access.everyone(owner) : Access.owner(owner);
  }

  /** Whose tasks this caller may cancel. */
  Access cancelAccess() {
    return canCancelAny() ? Access.everyone(owner) : Access.owner(owner);
  }
}
