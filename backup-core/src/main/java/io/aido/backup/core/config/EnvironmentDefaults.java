package io.aido.backup.core.config;

import java.util.Locale;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives every command-line option a default from an environment variable, by one rule: option
 * {@code --storage-url} reads {@code BACKUP_STORAGE_URL}, {@code --log-format} reads {@code
 * BACKUP_LOG_FORMAT}; that is {@code BACKUP_} followed by the option's longest name in upper case
 * with dashes as underscores. A flag given on the command line wins over the variable; the variable
 * wins over the option's own {@code defaultValue}.
 *
 * <p>So a CronJob is configured by a ConfigMap ({@code envFrom}) and needs no arguments. Secrets
 * are never options; they come from {@link Secrets}.
 */
public final class EnvironmentDefaults implements IDefaultValueProvider {
  /** The prefix of every variable that configures the jobs. */
  public static final String PREFIX = "BACKUP_";

  private final Environment env;

  public EnvironmentDefaults(Environment env) {
    this.env = env;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    return env.value(variable(option.longestName()));
  }

  /** The variable that configures an option: {@code --storage-url} gives BACKUP_STORAGE_URL. */
  public static String variable(String optionName) {
    String bare = optionName.replaceFirst("^-+", "");
    return PREFIX + bare.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /**
   * How problems name an option: {@code --storage-url (BACKUP_STORAGE_URL)}, so the user finds it
   * whether it was set as a flag or in the environment.
   */
  public static String describe(String optionName) {
    return optionName + " (" + variable(optionName) + ")";
  }
}
