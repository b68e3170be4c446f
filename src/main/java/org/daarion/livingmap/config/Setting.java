package org.daarion.livingmap.config;

/**
 * One configuration setting: read from the environment variable {@code env} or the command-line
 * flag {@code flag} (the flag wins), falling back to {@code defaultValue}. A {@code null} default
 * means "unset", which some settings use to pick an embedded alternative.
 */
public record Setting(String env, String flag, String defaultValue, String doc) {}
