package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.security.SecretCipher;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Download links for a message's attachments, as the card shows them: {@code /files/{installation}/{message}/
 * {attachment}?exp=&sig=}, signed by the connector (HMAC-SHA256, key derived from {@code connector.encryption-key})
 * and expiring. An {@code <img>} or a download cannot carry the session's bearer header, so the link itself is the
 * permission: it names one attachment of one message of one installation, for {@code connector.card.file-link-ttl}.
 * It carries nothing of Pact's: the file is fetched by the connector, the Pact token and CDN address stay inside.
 */
@Singleton
class AttachmentLinks {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final byte[] key;
    private final Clock clock;
    private final Duration ttl;

    AttachmentLinks(SecretCipher cipher, Clock clock, @Value("${connector.card.file-link-ttl:1h}") Duration ttl) {
        this.key = cipher.deriveKey("attachment-links");
        this.clock = clock;
        this.ttl = ttl;
    }

    String link(long installationId, long messageId, long attachmentId) {
        long exp = clock.instant().plus(ttl).getEpochSecond();
        return "/files/" + installationId + "/" + messageId + "/" + attachmentId + "?exp=" + exp + "&sig="
                + sign(installationId, messageId, attachmentId, exp);
    }

    boolean valid(long installationId, long messageId, long attachmentId, long exp, String sig) {
        if (sig == null || exp < clock.instant().getEpochSecond()) {
            return false;
        }
        return MessageDigest.isEqual(sign(installationId, messageId, attachmentId, exp).getBytes(StandardCharsets.US_ASCII),
                sig.getBytes(StandardCharsets.US_ASCII));
    }

    private String sign(long installationId, long messageId, long attachmentId, long exp) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return ENCODER.encodeToString(mac.doFinal((installationId + "|" + messageId + "|" + attachmentId + "|" + exp)
                    .getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
