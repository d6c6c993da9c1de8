package org.memorall.llm.llamacpp;

/** One file of a Hub repo as its API lists it: name, size (-1 when unknown) and SHA-256 (null unless LFS). */
record HubFile(String name, long size, String sha256) {
}
