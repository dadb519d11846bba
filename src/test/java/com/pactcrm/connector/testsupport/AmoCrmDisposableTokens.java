package com.pactcrm.connector.testsupport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** amoCRM's disposable widget tokens (amocrm.md §3.6), signed the test's own way, not the connector's. */
public final class AmoCrmDisposableTokens {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AmoCrmDisposableTokens() {
    }

    public static String jwt(String alg, String secret, Map<String, Object> claims) {
        try {
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String header = b64.encodeToString(JSON.writeValueAsBytes(Map.of("alg", alg, "typ", "JWT")));
            String payload = b64.encodeToString(JSON.writeValueAsBytes(claims));
            // HS512 for the bots' widget_request tokens; every other header value is signed HS256 (to test refusals).
            String algorithm = "HS512".equals(alg) ? "HmacSHA512" : "HmacSHA256";
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), algorithm));
            byte[] signature = mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
            return header + "." + payload + "." + b64.encodeToString(signature);
        } catch (JsonProcessingException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
