package com.pactcrm.connector.sync.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import org.junit.jupiter.api.Test;

class OutboundCallTest {

    private static final String TOKEN = "secret-token-0123456789abcdef";

    @Test
    void postPutAndPatchMayHaveBeenAppliedGetAndDeleteAreRepeatedAsTheyAre() {
        for (HttpMethod method : new HttpMethod[] {HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH}) {
            assertTrue(OutboundCall.changesState(method), method.name());
            assertEquals(Disposition.RETRY_AMBIGUOUS, call(method).maybeApplied(), method.name());
        }
        for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.DELETE}) {
            assertFalse(OutboundCall.changesState(method), method.name());
            assertEquals(Disposition.RETRY, call(method).maybeApplied(), method.name());
        }
    }

    @Test
    void aGatewayErrorOnAWriteIsAmbiguousAServerErrorIsRetriedAClientErrorIsPermanent() {
        OutboundCall write = call(HttpMethod.POST);
        OutboundCall read = call(HttpMethod.GET);

        assertEquals(Disposition.RETRY_AMBIGUOUS, write.dispositionOf(502));
        assertEquals(Disposition.RETRY_AMBIGUOUS, write.dispositionOf(504));
        assertEquals(Disposition.RETRY, read.dispositionOf(502));
        assertEquals(Disposition.RETRY, read.dispositionOf(504));
        for (int status : new int[] {500, 503, 507}) {
            assertEquals(Disposition.RETRY, write.dispositionOf(status), String.valueOf(status));
        }
        for (int status : new int[] {400, 404, 409, 422}) {
            assertEquals(Disposition.PERMANENT, write.dispositionOf(status), String.valueOf(status));
        }
    }

    @Test
    void theCallsCredentialNeverSurvivesRedaction() {
        String redacted = call(HttpMethod.POST).redact("token " + TOKEN + " is not valid for this portal");

        assertFalse(redacted.contains(TOKEN), redacted);
        assertTrue(redacted.endsWith(" is not valid for this portal"), redacted);
        assertNull(call(HttpMethod.POST).redact(null));
    }

    private static OutboundCall call(HttpMethod method) {
        return new OutboundCall("op", "account", "host", null, HttpRequest.create(method, "/x"), method + " /x", TOKEN,
                OutboundCall.changesState(method), () -> () -> { });
    }
}
