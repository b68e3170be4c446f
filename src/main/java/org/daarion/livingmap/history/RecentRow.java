package org.daarion.livingmap.history;

import java.util.UUID;

/**
 * One history row held by {@link RecentHistory}; strings as stored (NUL already replaced), the
 * payload as the bytes PostgreSQL stored. {@code order} counts up as the writer feeds rows; rows
 * read back from PostgreSQL come before all of them (negative).
 */
record RecentRow(
    UUID id,
    long micros,
    long seq,
    String epoch,
    String eventType,
    String entityId,
    String entityType,
    String sourceService,
    byte[] payload,
    long order) {}
