package com.pactcrm.connector.quickreply;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

/** A quick reply a manager picks when writing first; {@code body} may hold {@link QuickReplyText} variables. */
@MappedEntity("quick_reply_template")
public record QuickReplyTemplate(@Id @GeneratedValue @Nullable Long id, long installationId, String title, String body,
                                 int position) {
}
