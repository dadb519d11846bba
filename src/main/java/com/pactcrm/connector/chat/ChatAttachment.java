package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;

/**
 * A file attached to a Pact message, as Pact describes it ({@code attachments[]} of the v2 message object:
 * {@code id, file_name, mime_type, size, attachment_url, preview_url}). {@code url} is Pact's CDN address; the card
 * never sees it, only a signed link of the connector's.
 */
public record ChatAttachment(long id, @Nullable String name, @Nullable String mimeType, @Nullable Long size,
                             @Nullable String url, @Nullable String previewUrl) {
}
