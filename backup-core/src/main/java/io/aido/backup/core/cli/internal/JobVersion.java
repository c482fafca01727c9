package io.aido.backup.core.cli.internal;

import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code --version}: the job's name and the {@code Implementation-Version} of its jar, or {@code
 * dev} when it runs from classes (tests, an IDE).
 */
public final class JobVersion implements IVersionProvider {
  @Spec CommandSpec spec;

  @Override
  public String[] getVersion() {
    CommandSpec root = spec.root();
    return new String[] {root.name() + " " + of(root.userObject().getClass())};
  }

  /** The version of the jar {@code type} was loaded from, or {@code dev}. */
  public static String of(Class<?> type) {
    Package p = type.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null || v.isBlank() ? "dev" : v;
  }
}
