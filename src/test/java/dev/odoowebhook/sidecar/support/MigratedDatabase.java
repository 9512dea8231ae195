// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: a migrated {@link TestDatabase} (the sidecar's schema and an Odoo-like
 * res_partner) on the test PostgreSQL, dropped when its scope ends.
 *
 * <ul>
 *   <li>A {@code static TestDatabase} field, or a {@code TestDatabase} parameter of any method
 *       ({@code @BeforeAll}, {@code @BeforeEach}, a test): one database for the whole class,
 *       dropped after its last test.
 *   <li>A non-static {@code TestDatabase} field: a fresh database for each test, dropped after it,
 *       for tests that leave a database in a state no clean-up can be trusted to undo (a sidecar
 *       killed mid-flight).
 * </ul>
 *
 * No PostgreSQL FAILS the tests with a message saying how to point them at one (see {@link
 * TestPostgres}); it never skips them. Usage: {@code @ExtendWith(MigratedDatabase.class)}.
 */
public final class MigratedDatabase
    implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(MigratedDatabase.class);

  @Override
  public void beforeAll(ExtensionContext context) throws IllegalAccessException {
    for (Field f : databaseFields(context.getRequiredTestClass())) {
      if (Modifier.isStatic(f.getModifiers())) {
        f.set(null, of(context));
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IllegalAccessException {
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      for (Field f : databaseFields(instance.getClass())) {
        if (!Modifier.isStatic(f.getModifiers())) {
          // Kept in the test's own store: dropped when the test ends, after @AfterEach.
          f.set(
              instance,
              context
                  .getStore(NAMESPACE)
                  .computeIfAbsent(f, k -> TestDatabase.createMigrated(), TestDatabase.class));
        }
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestDatabase.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return of(context);
  }

  /** The database of the test class of {@code context}, created on first use. */
  public static TestDatabase of(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent()) {
      classContext = classContext.getParent().orElseThrow();
    }
    // A value of the store that is AutoCloseable is closed when its context ends.
    return classContext
        .getStore(NAMESPACE)
        .computeIfAbsent(
            TestDatabase.class, k -> TestDatabase.createMigrated(), TestDatabase.class);
  }

  private static java.util.List<Field> databaseFields(Class<?> type) {
    java.util.List<Field> fields = new java.util.ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getType() == TestDatabase.class) {
          f.setAccessible(true);
          fields.add(f);
        }
      }
    }
    return fields;
  }
}
