package com.pactcrm.connector.pact.client;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** An uploaded attachment, ready to be sent (one per message). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PactAttachment(long id, String fileName, String mimeType, Long size, String attachmentUrl,
                             String previewUrl) {
}
