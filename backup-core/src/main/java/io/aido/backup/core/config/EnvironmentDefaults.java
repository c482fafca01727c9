package io.aido.backup.core.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives every command-line option a default from an environment variable, by one rule: option
 * {@code --storage-url} reads {@code BACKUP_STORAGE_URL}, {@code --log-format} reads {@code
 * BACKUP_LOG_FORMAT}; that is {@code BACKUP_} followed by the option's longest name in upper case
 * with dashes as underscores. An option with several names also reads the variable of each other
 * name ({@code --namespace, --namespaces} reads {@code BACKUP_NAMESPACES}, else {@code
 * BACKUP_NAMESPACE}). A flag given on the command line wins over the variable; the variable wins
 * over the option's own {@code defaultValue}.
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
    for (String variable : variables(option)) {
      String value = env.value(variable);
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  /** Every variable that sets {@code option}: its longest name's first, then the others'. */
  public static List<String> variables(OptionSpec option) {
    Set<String> variables = new LinkedHashSet<>();
    variables.add(variable(option.longestName()));
    for (String name : option.names()) {
      if (name.startsWith("--")) {
        variables.add(variable(name));
      }
    }
    return List.copyOf(variables);
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

  /** Not options, though named like them: set by the platform or read by the jobs directly. */
  private static final Pattern NOT_OPTIONS =
      Pattern.compile(
          "BACKUP_ACTOR"
              // Kubernetes service links: a Service named backup-x gives BACKUP_X_SERVICE_HOST, ...
              + "|[A-Z0-9_]+_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)"
              + "|[A-Z0-9_]+_PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?");

  /**
   * The problems with variables that look like options ({@value #PREFIX}...) but set none of the
   * options of {@code root}'s commands: a misspelt or misplaced setting would otherwise be ignored
   * and the job would run with its default (every namespace instead of one, say). Each problem
   * names the variable and, when one is close, the variable that was probably meant. Values are
   * never shown.
   */
  public static List<String> unknownVariableProblems(Environment env, CommandSpec root) {
    Set<String> known = new TreeSet<>();
    collectVariables(root, known);
    List<String> problems = new ArrayList<>();
    for (String name : new TreeSet<>(env.names())) {
      if (!name.startsWith(PREFIX) || known.contains(name) || NOT_OPTIONS.matcher(name).matches()) {
        continue;
      }
      String meant = closest(name, known);
      problems.add(
          name
              + " is set but is no option of "
              + root.name()
              + (meant == null ? "" : " (did you mean " + meant + "?)")
              + "; correct or unset it ('"
              + root.name()
              + " COMMAND --help' lists each command's variables)");
    }
    return problems;
  }

  private static void collectVariables(CommandSpec spec, Set<String> into) {
    for (OptionSpec o : spec.options()) {
      into.addAll(variables(o));
    }
    for (CommandLine sub : spec.subcommands().values()) {
      collectVariables(sub.getCommandSpec(), into);
    }
  }

  private static String closest(String name, Set<String> known) {
    String best = null;
    int bestDistance = 4;
    for (String k : known) {
      int d = distance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
