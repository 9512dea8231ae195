// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: the command line as a process ({@link CommandLine}) pointed at the class's
 * {@link MigratedDatabase}. Injected into {@code static CommandLine} fields and {@code CommandLine}
 * parameters. Usage: {@code @ExtendWith({MigratedDatabase.class, CliProcess.class})}.
 */
public final class CliProcess implements BeforeAllCallback, ParameterResolver {
  @Override
  public void beforeAll(ExtensionContext context) throws IllegalAccessException {
    for (Class<?> c = context.getRequiredTestClass();
        c != null && c != Object.class;
        c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getType() == CommandLine.class && Modifier.isStatic(f.getModifiers())) {
          f.setAccessible(true);
          f.set(null, new CommandLine(MigratedDatabase.of(context)));
        }
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == CommandLine.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return new CommandLine(MigratedDatabase.of(context));
  }
}
