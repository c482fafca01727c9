package io.aido.backup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runbook's commands are the real ones: every command in a {@code bash} block of
 * docs/disaster-recovery.md that runs a job ({@code job-db-backup restore ...}) is parsed by that
 * job's picocli command tree, and every {@code kubectl} step that touches this project's manifests
 * names a kustomization, CronJob, restore Job, label or ServiceAccount binding that exists, with
 * restore options ({@code --from-literal=BACKUP_...}) that the restore's command reads.
 */
class RunbookCommandsTest {
  private static final Pattern BLOCK = Pattern.compile("(?ms)^\\s*```bash\\n(.*?)^\\s*```");

  /**
   * Google service accounts that need no key: retention reads records, never backup data, and
   * replicate copies the stored ciphertext as it is.
   */
  static final Set<String> NO_KEY = Set.of("backup-retention", "backup-replicate");

  private static String runbook;
  private static final Map<String, List<HasMetadata>> RENDERED = new HashMap<>();

  @BeforeAll
  static void load() throws Exception {
    runbook = Files.readString(Project.root().resolve("docs/disaster-recovery.md"));
    for (String dir : KustomizationsTest.KUSTOMIZATIONS) {
      RENDERED.put(dir, Project.objects(dir));
    }
  }

  @Test
  void runbook_coversTheThreeScenariosAndTheDrills() {
    assertThat(runbook)
        .contains("## 1. Minor incident: a single pod failed")
        .contains("## 2. Major incident")
        .contains("## 3. Site failure")
        .contains("### Quarterly: the whole site, end to end")
        .contains("helm rollback todo-chatbot")
        .contains("## Objectives and what was measured");
  }

  @Test
  void everyCommand_namesSubcommandsAndOptionsThatExist() {
    List<String> problems = new ArrayList<>();
    Set<String> pending = new TreeSet<>();
    Set<String> createdJobs = new HashSet<>();
    int jobCommands = 0;
    int kubectlSteps = 0;
    Matcher blocks = BLOCK.matcher(runbook);
    while (blocks.find()) {
      String block = blocks.group(1).replaceAll("\\\\\\n\\s*", " ");
      for (String line : block.split("\\n")) {
        for (List<String> command : Shell.commands(line)) {
          String where = "docs/disaster-recovery.md: " + String.join(" ", command);
          List<String> words = new ArrayList<>(command);
          Set<String> assigned = new LinkedHashSet<>();
          while (!words.isEmpty() && words.get(0).matches("[A-Z_][A-Z0-9_]*=.*")) {
            assigned.add(words.remove(0).replaceFirst("=.*", ""));
          }
          if (words.isEmpty()) {
            continue;
          }
          String first = words.get(0);
          if (JobCommandLines.JOBS.containsKey(first)) {
            jobCommands++;
            assigned.removeIf(v -> !v.startsWith("BACKUP_"));
            var result =
                JobCommandLines.check(where, first, words.subList(1, words.size()), assigned);
            problems.addAll(result.problems());
            pending.addAll(result.pending());
          } else if (first.equals("kubectl")) {
            kubectlSteps += kubectl(where, words, createdJobs, problems, pending);
          }
        }
      }
    }
    if (!pending.isEmpty()) {
      System.out.println("[deploy-tests] runbook commands pending on other branches: " + pending);
    }
    assertThat(problems).isEmpty();
    // the extraction itself must find the runbook's commands
    assertThat(jobCommands).as("job commands found").isGreaterThanOrEqualTo(14);
    assertThat(kubectlSteps)
        .as("kubectl steps on this project's objects")
        .isGreaterThanOrEqualTo(30);
  }

  @Test
  void everySecretTheManifestsReference_isCreatedByADocumentedCommand() throws Exception {
    String docs = runbook + Files.readString(Project.root().resolve("README.md"));
    Set<String> created = new TreeSet<>();
    Matcher m = Pattern.compile("kubectl create secret generic ([a-z0-9-]+)").matcher(docs);
    while (m.find()) {
      created.add(m.group(1));
    }
    Set<String> referenced = new TreeSet<>();
    for (List<HasMetadata> objects : RENDERED.values()) {
      for (var w : KustomizationsTest.workloadsOf(objects)) {
        var pod = w.getSpec();
        pod.getVolumes().stream()
            .filter(v -> v.getSecret() != null)
            .forEach(v -> referenced.add(v.getSecret().getSecretName()));
        for (var c : pod.getContainers()) {
          if (c.getEnv() != null) {
            c.getEnv().stream()
                .filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                .forEach(e -> referenced.add(e.getValueFrom().getSecretKeyRef().getName()));
          }
        }
      }
    }
    assertThat(referenced).contains("backup-kek", "db-backup-postgres");
    assertThat(created).as("Secrets created by README.md or the runbook").containsAll(referenced);
  }

  @Test
  void workloadIdentity_everyAccountThatTouchesTheBucketOrKeyIsBoundInTheAppendix() {
    // the appendix's gcloud commands, continuation lines joined
    List<String> commands = new ArrayList<>();
    Matcher blocks = BLOCK.matcher(runbook);
    while (blocks.find()) {
      commands.addAll(List.of(blocks.group(1).replaceAll("\\\\\\n\\s*", " ").split("\\n")));
    }
    Pattern wi =
        Pattern.compile(
            "gcloud iam service-accounts add-iam-policy-binding ([a-z0-9-]+)@PROJECT_ID\\.iam\\.gserviceaccount\\.com"
                + " .*--role=roles/iam\\.workloadIdentityUser"
                + " .*--member=\"?serviceAccount:PROJECT_ID\\.svc\\.id\\.goog\\[([a-z0-9-]+/[a-z0-9-]+)\\]");
    Map<String, String> bound = new HashMap<>();
    Set<String> onBucket = new TreeSet<>();
    Set<String> onKey = new TreeSet<>();
    Pattern member = Pattern.compile("--member=serviceAccount:([a-z0-9-]+)@PROJECT_ID");
    for (String c : commands) {
      Matcher m = wi.matcher(c);
      if (m.find()) {
        bound.put(m.group(2), m.group(1));
      }
      Matcher g = member.matcher(c);
      if (g.find()) {
        if (c.contains("gcloud storage buckets add-iam-policy-binding")) {
          onBucket.add(g.group(1));
        } else if (c.contains("gcloud kms keys add-iam-policy-binding")) {
          onKey.add(g.group(1));
        }
      }
    }
    Set<String> checked = new TreeSet<>();
    List<String> gke =
        List.of("overlays/gke", "overlays/gke-wal-follow", "restore/overlays/gke", "restore/pitr");
    for (String dir : gke) {
      List<HasMetadata> objects = RENDERED.get(dir);
      for (HasMetadata o : objects) {
        if (!KustomizationsTest.storageServiceAccounts(List.of(o)).isEmpty()) {
          String name = KustomizationsTest.storageServiceAccounts(List.of(o)).iterator().next();
          String namespace = o.getMetadata().getNamespace();
          ServiceAccount sa =
              // a restore Job may run as an account the installed overlay created
              gke.stream()
                  .flatMap(
                      d -> KustomizationsTest.all(RENDERED.get(d), ServiceAccount.class).stream())
                  .filter(
                      a ->
                          a.getMetadata().getName().equals(name)
                              && a.getMetadata().getNamespace().equals(namespace))
                  .findFirst()
                  .orElseThrow(
                      () -> new AssertionError("k8s/" + dir + ": no ServiceAccount " + name));
          String gsa =
              sa.getMetadata()
                  .getAnnotations()
                  .get("iam.gke.io/gcp-service-account")
                  .replaceFirst("@.*$", "");
          String where = "k8s/" + dir + " " + o.getKind() + " " + o.getMetadata().getName();
          assertThat(bound)
              .as(where + ": the runbook binds " + namespace + "/" + name + " to " + gsa)
              .containsEntry(namespace + "/" + name, gsa);
          assertThat(onBucket).as(where + ": " + gsa + " has a role on the bucket").contains(gsa);
          if (!NO_KEY.contains(gsa)) {
            assertThat(onKey).as(where + ": " + gsa + " has a role on the key").contains(gsa);
          }
          checked.add(namespace + "/" + name);
        }
      }
    }
    assertThat(checked)
        .as("the accounts found")
        .contains(
            "aido-backup/db-backup",
            "aido-backup/manifest-restore",
            "todo/backup-restore-pitr",
            "aido-backup/backup-verify");
  }

  @Test
  void shell_splitsCommandsAndKeepsQuotedAndSubstitutedWords() {
    assertThat(
            Shell.commands(
                "kubectl create job x-$(date +%s) --from=cronjob/db-backup && echo 'a; b' # c"))
        .containsExactly(
            List.of("kubectl", "create", "job", "x-$(date +%s)", "--from=cronjob/db-backup"),
            List.of("echo", "a; b"));
  }

  /** Checks one kubectl step; returns 1 if it named one of this project's objects. */
  private static int kubectl(
      String where,
      List<String> words,
      Set<String> createdJobs,
      List<String> problems,
      Set<String> pending) {
    Map<String, String> flags = new HashMap<>();
    List<String> args = new ArrayList<>();
    List<String> literals = new ArrayList<>();
    for (int i = 1; i < words.size(); i++) {
      String w = words.get(i);
      if (w.startsWith("--from-literal=")) {
        literals.add(w.substring("--from-literal=".length()));
      } else if (w.startsWith("--") && w.contains("=")) {
        flags.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
      } else if (List.of("-n", "-k", "-l", "-p", "-o", "--type", "--region", "--project")
          .contains(w)) {
        flags.put(w, i + 1 < words.size() ? words.get(++i) : "");
      } else if (!w.startsWith("-")) {
        args.add(w);
      }
    }
    String verb = args.isEmpty() ? "" : args.get(0);
    if (verb.equals("create") && args.size() >= 3 && args.get(1).equals("configmap")) {
      Job restore = restoreJobReading(args.get(2));
      if (restore == null) {
        problems.add(where + ": no restore Job reads ConfigMap " + args.get(2));
        return 1;
      }
      var c = restore.getSpec().getTemplate().getSpec().getContainers().get(0);
      String job = c.getImage().replaceFirst("^.*/", "").replaceFirst(":.*$", "");
      Set<String> variables = new TreeSet<>();
      literals.forEach(l -> variables.add(l.replaceFirst("=.*", "")));
      var result = JobCommandLines.check(where, job, c.getArgs(), variables);
      problems.addAll(result.problems());
      pending.addAll(result.pending());
      return 1;
    }
    if (verb.equals("create") && args.size() >= 3 && args.get(1).equals("job")) {
      String from = flags.getOrDefault("--from", "");
      String cronJob = from.replaceFirst("^cronjob/", "");
      boolean exists =
          KustomizationsTest.all(RENDERED.get("base"), CronJob.class).stream()
              .anyMatch(c -> c.getMetadata().getName().equals(cronJob));
      if (!from.startsWith("cronjob/") || !exists) {
        problems.add(where + ": --from must name a CronJob of k8s/base");
      }
      createdJobs.add(args.get(2));
      return 1;
    }
    if (verb.equals("apply") && flags.containsKey("-k")) {
      String dir = flags.get("-k").replaceFirst("^k8s/", "");
      if (!RENDERED.containsKey(dir)) {
        problems.add(where + ": " + flags.get("-k") + " is not a kustomization");
        return 1;
      }
      String selector = flags.get("-l");
      if (selector != null) {
        String[] kv = selector.split("=", 2);
        boolean matches =
            RENDERED.get(dir).stream()
                .anyMatch(
                    o ->
                        o.getMetadata().getLabels() != null
                            && kv[1].equals(o.getMetadata().getLabels().get(kv[0])));
        if (!matches) {
          problems.add(where + ": nothing in k8s/" + dir + " has label " + selector);
        }
      }
      return 1;
    }
    String jobName = null;
    if ((verb.equals("patch") || verb.equals("delete"))
        && args.size() >= 3
        && args.get(1).equals("job")) {
      jobName = args.get(2);
    } else if ((verb.equals("wait") || verb.equals("logs"))
        && args.size() >= 2
        && args.get(1).startsWith("job/")) {
      jobName = args.get(1).substring("job/".length());
    }
    if (jobName != null) {
      if (!KustomizationsTest.RESTORE_JOBS.contains(jobName) && !createdJobs.contains(jobName)) {
        problems.add(
            where + ": job " + jobName + " is neither a restore template nor created above");
      }
      return 1;
    }
    if (verb.equals("delete") && args.size() >= 3 && args.get(1).equals("clusterrolebinding")) {
      boolean exists =
          RENDERED.values().stream()
              .flatMap(List::stream)
              .anyMatch(
                  o ->
                      o.getKind().equals("ClusterRoleBinding")
                          && o.getMetadata().getName().equals(args.get(2)));
      if (!exists) {
        problems.add(where + ": no ClusterRoleBinding " + args.get(2) + " in k8s/");
      }
      return 1;
    }
    return 0;
  }

  private static Job restoreJobReading(String configMap) {
    for (String dir : List.of("restore/base", "restore/pitr")) {
      for (Job j : KustomizationsTest.all(RENDERED.get(dir), Job.class)) {
        for (EnvFromSource from :
            j.getSpec().getTemplate().getSpec().getContainers().get(0).getEnvFrom()) {
          if (from.getConfigMapRef() != null
              && from.getConfigMapRef().getName().equals(configMap)) {
            return j;
          }
        }
      }
    }
    return null;
  }

  /** Just enough of the shell to split a runbook line into commands and words. */
  static final class Shell {
    private Shell() {}

    static List<List<String>> commands(String line) {
      List<List<String>> commands = new ArrayList<>();
      List<String> words = new ArrayList<>();
      StringBuilder word = null;
      int i = 0;
      while (i < line.length()) {
        char c = line.charAt(i);
        if (c == '\'' || c == '"') {
          int end = line.indexOf(c, i + 1);
          if (end < 0) {
            end = line.length();
          }
          word = word == null ? new StringBuilder() : word;
          word.append(line, i + 1, end);
          i = end + 1;
        } else if (c == '$' && i + 1 < line.length() && line.charAt(i + 1) == '(') {
          int depth = 0;
          int j = i + 1;
          for (; j < line.length(); j++) {
            depth += line.charAt(j) == '(' ? 1 : line.charAt(j) == ')' ? -1 : 0;
            if (depth == 0) {
              break;
            }
          }
          word = word == null ? new StringBuilder() : word;
          word.append(line, i, Math.min(j + 1, line.length()));
          i = j + 1;
        } else if (Character.isWhitespace(c)) {
          if (word != null) {
            words.add(word.toString());
            word = null;
          }
          i++;
        } else if (c == '#' && word == null) {
          break;
        } else if (c == ';' || c == '|' || c == '&') {
          if (word != null) {
            words.add(word.toString());
            word = null;
          }
          if (!words.isEmpty()) {
            commands.add(words);
          }
          words = new ArrayList<>();
          i++;
        } else {
          word = word == null ? new StringBuilder() : word;
          word.append(c);
          i++;
        }
      }
      if (word != null) {
        words.add(word.toString());
      }
      if (!words.isEmpty()) {
        commands.add(words);
      }
      return commands;
    }
  }
}
