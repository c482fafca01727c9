package io.aido.backup.core.catalog;

import java.time.Instant;
import java.util.Objects;

/**
 * The content of {@code format.json}: which layout a repository uses. Written once when the
 * repository is created, never rewritten.
 *
 * @param format the layout version, {@link Layout#REPOSITORY_FORMAT} for this tool
 * @param createdAt when the repository was created
 * @param toolVersion the version of the tool that created it
 */
public record RepositoryFormat(int format, Instant createdAt, String toolVersion) {
  public RepositoryFormat {
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(toolVersion, "toolVersion");
  }
}
