package io.aido.backup.core.config;

import io.aido.backup.core.storage.BlobStore;
import java.io.IOException;

/** Turns a checked repository URL into a store. */
final class RepositoryStores {
  private RepositoryStores() {}

  static BlobStore open(RepositoryUrl url) throws IOException {
    throw new IOException("unable to open repository " + url + ": no storage backend available");
  }
}
