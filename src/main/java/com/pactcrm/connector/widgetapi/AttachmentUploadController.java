package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.client.PactAttachment;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Part;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.multipart.CompletedFileUpload;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /api/v1/attachments} (multipart {@code file}): a photo or document from the card, uploaded to Pact
 * ({@code POST /api/p2/attachments/}) so that a reply can send it (one attachment per message). Type and size are
 * checked before anything goes to Pact, and the file must be what its type says (images and PDFs by their first
 * bytes): WhatsApp refuses what it cannot show, and only after the message seemed sent.
 */
@Controller("/api/v1/attachments")
@ExecuteOn(TaskExecutors.BLOCKING)
class AttachmentUploadController {

    record Uploaded(long attachmentId, String name, String mimeType, long size) {
    }

    /** What WhatsApp and Telegram take as photos and documents (Meta Cloud API "Supported media types"). */
    static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("image/jpeg", "photo"), Map.entry("image/png", "photo"), Map.entry("image/webp", "photo"),
            Map.entry("application/pdf", "document"), Map.entry("text/plain", "document"), Map.entry("text/csv", "document"),
            Map.entry("application/msword", "document"),
            Map.entry("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
            Map.entry("application/vnd.ms-excel", "document"),
            Map.entry("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
            Map.entry("application/vnd.ms-powerpoint", "document"),
            Map.entry("application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"));
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    private static final byte[] PDF = {'%', 'P', 'D', 'F'};

    private final WidgetAuth auth;
    private final PactGateway pact;
    private final SecretCipher cipher;
    private final CardAttachmentRepository attachments;
    private final long maxPhoto;
    private final long maxDocument;

    AttachmentUploadController(WidgetAuth auth, PactGateway pact, SecretCipher cipher, CardAttachmentRepository attachments,
                               @Value("${connector.card.max-photo-bytes:5242880}") long maxPhoto,
                               @Value("${connector.card.max-document-bytes:10485760}") long maxDocument) {
        this.auth = auth;
        this.pact = pact;
        this.cipher = cipher;
        this.attachments = attachments;
        this.maxPhoto = maxPhoto;
        this.maxDocument = maxDocument;
    }

    @Post(consumes = MediaType.MULTIPART_FORM_DATA)
    Uploaded upload(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                    @Nullable @Part("file") CompletedFileUpload file) throws IOException {
        Caller caller = auth.caller(authorization, origin);
        if (file == null || file.getFilename() == null || file.getFilename().isBlank()) {
            throw ProblemException.badRequest("send the file as the multipart part 'file'");
        }
        String type = file.getContentType().map(MediaType::getName).map(t -> t.toLowerCase(Locale.ROOT)).orElse("");
        String kind = TYPES.get(type);
        if (kind == null) {
            throw ProblemException.badRequest("files of type '" + (type.isEmpty() ? "unknown" : type) + "' cannot be sent: "
                    + "send a photo (JPEG, PNG, WebP) or a document (PDF, Word, Excel, PowerPoint, text, CSV)");
        }
        long limit = "photo".equals(kind) ? maxPhoto : maxDocument;
        if (file.getSize() > limit) {
            throw new ProblemException(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "File too large", "a " + kind
                    + " may have at most " + limit / (1024 * 1024) + " MB; this one has "
                    + String.format(Locale.ROOT, "%.1f", file.getSize() / (1024.0 * 1024.0)) + " MB");
        }
        if (file.getSize() == 0) {
            throw ProblemException.badRequest("the file is empty");
        }
        byte[] content = file.getBytes();
        if (!looksLike(type, content)) {
            throw ProblemException.badRequest("the file '" + file.getFilename() + "' is not the " + type + " it says it is");
        }
        Installation installation = caller.installation();
        if (installation.pactTokenEnc() == null || installation.pactCompanyId() == null) {
            throw new ProblemException(HttpStatus.CONFLICT, "Pact not connected",
                    "Pact is not connected: an admin must enter the Pact API token in the settings");
        }
        PactAttachment uploaded;
        try {
            uploaded = pact.uploadAttachment(new PactCredentials(cipher.decrypt(installation.pactTokenEnc()),
                    installation.pactCompanyId()), file.getFilename(), type, content);
        } catch (OutboundCallException e) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Pact unavailable",
                    "Pact did not take the file just now; try again in a minute");
        }
        attachments.add(installation.id(), uploaded.id(), file.getFilename(), type, (long) content.length,
                caller.session().crmUserId());
        return new Uploaded(uploaded.id(), file.getFilename(), type, content.length);
    }

    private static boolean looksLike(String type, byte[] content) {
        return switch (type) {
            case "image/png" -> startsWith(content, PNG);
            case "image/jpeg" -> startsWith(content, JPEG);
            case "image/webp" -> content.length > 12 && new String(content, 8, 4, java.nio.charset.StandardCharsets.US_ASCII)
                    .equals("WEBP");
            case "application/pdf" -> startsWith(content, PDF);
            default -> true;
        };
    }

    private static boolean startsWith(byte[] content, byte[] prefix) {
        return content.length >= prefix.length && Arrays.equals(content, 0, prefix.length, prefix, 0, prefix.length);
    }
}
