package com.pactcrm.connector.testsupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.bitrix24.Bitrix24Fake;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The opt-in limits and faults of the CRM fakes the field benchmark relies on: what the providers answer an
 * arrival beyond their limits, and what a failed call does to the data.
 */
class LimitEnforcingFakesIT {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void amoCrmAnswers429BeyondSevenArrivalsASecondAndBlocksTheAccountAfterTwentyOfThem() throws Exception {
        AmoCrmFake amo = AmoCrmFake.start().enforceLimits();
        try {
            String host = "127.0.0.10:" + amo.port();
            String other = "127.0.0.11:" + amo.port();
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                statuses.add(get(host, "/api/v4/leads/1/notes").statusCode());
            }
            assertEquals(List.of(204, 204, 204, 204, 204, 204, 204, 429), statuses, "the 8th arrival within a second");
            assertEquals(204, get(other, "/api/v4/leads/1/notes").statusCode(), "another account has a limit of its own");

            for (int i = 0; i < 100 && !amo.blocked(host); i++) {
                get(host, "/api/v4/leads/1/notes");
            }
            assertTrue(amo.blocked(host), "more than 20 × 429 within 60 s");
            HttpResponse<String> blocked = get(host, "/api/v4/leads/1/notes");
            assertEquals(403, blocked.statusCode());
            assertTrue(blocked.body().contains("<center>nginx</center>"), blocked.body());
            assertEquals(21, amo.tooManyRequests(host, 0));
            assertTrue(amo.forbidden(host) >= 1);
            assertTrue(amo.busiestSecond(host, 0) > AmoCrmFake.REQUESTS_PER_SECOND, "every arrival counts, refused or not");

            amo.unblock(host);
            Thread.sleep(1100);
            assertEquals(204, get(host, "/api/v4/leads/1/notes").statusCode(), "support unblocked it");
        } finally {
            amo.stop();
        }
    }

    @Test
    void amoCrmFaultsFailTheCallAndOnlyTheLostAnswerLeavesTheNoteWritten() throws Exception {
        FaultInjection faults = new FaultInjection(1.0, 20261124L, Duration.ofMillis(50));
        AmoCrmFake amo = AmoCrmFake.start().withFaults(faults);
        try {
            String host = "127.0.0.10:" + amo.port();
            int failed = 0;
            for (int i = 0; i < 12; i++) {
                String note = "[{\"entity_id\":1,\"note_type\":\"service_message\",\"params\":{\"service\":\"Pact\",\"text\":\"n" + i + "\"}}]";
                try {
                    int status = send(host, "POST", "/api/v4/leads/notes", note).statusCode();
                    assertTrue(status >= 500, "a failed call: " + status);
                } catch (IOException reset) {
                    // the connection was reset, as a hung call ends
                }
                failed++;
            }
            Map<FaultInjection.Kind, Integer> counts = faults.counts();
            assertEquals(12, failed);
            assertEquals(12, counts.values().stream().mapToInt(Integer::intValue).sum());
            assertEquals(counts.getOrDefault(FaultInjection.Kind.APPLIED_THEN_LOST, 0), amo.notes(host).size(),
                    "written only when the answer was lost after the write: " + counts);
            assertEquals(amo.notes(host).size(), amo.writes(host).size());
        } finally {
            amo.stop();
        }
    }

    @Test
    void bitrix24RefusesTheRequestThatOverflowsTheLeakyBucket() throws Exception {
        Bitrix24Fake b24 = Bitrix24Fake.running().enforceLeakyBucket();
        try {
            long start = System.nanoTime();
            List<Integer> statuses = new ArrayList<>();
            // Until the first refusal: how many fit depends on how fast this machine sends, since the bucket drains.
            while (!statuses.contains(503) && statuses.size() < 500) {
                statuses.add(send(b24.host(), "POST", "/rest/batch", "{\"auth\":\"no-such-token\",\"cmd\":{}}").statusCode());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            List<Integer> accepted = statuses.subList(0, statuses.size() - 1);
            assertTrue(accepted.stream().allMatch(s -> s == 401), "what fits is answered for what it is: " + statuses);
            assertTrue(statuses.contains(503), "the bucket of 50 overflows: " + statuses);
            assertTrue(accepted.size() >= 50 && accepted.size() <= 50 + 2 * seconds + 1,
                    accepted.size() + " fitted in " + seconds + " s: 50 and 2 a second drained");
            assertEquals(1, b24.queryLimitRefusals(start));
            assertEquals(statuses.size(), b24.arrivals(start).length, "refused requests arrived too");
        } finally {
            b24.shutdown();
        }
    }

    @Test
    void theBusiestWindowIsExact() {
        long s = 1_000_000_000L;
        assertEquals(3, Arrivals.busiest(new long[] {0, s / 2, s - 1, s, 2 * s}, Duration.ofSeconds(1)));
        assertEquals(0, Arrivals.busiest(new long[0], Duration.ofSeconds(1)));
        Arrivals arrivals = new Arrivals();
        long first = arrivals.arrive();
        long second = arrivals.arrive();
        assertArrayEquals(new long[] {second}, arrivals.since(second));
        assertEquals(2, arrivals.within(second, Duration.ofSeconds(1)));
        assertFalse(first > second);
    }

    private HttpResponse<String> get(String host, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://" + host + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String host, String method, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://" + host + path)).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
