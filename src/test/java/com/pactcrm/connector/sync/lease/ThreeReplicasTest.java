package com.pactcrm.connector.sync.lease;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.testsupport.AmoCrmFake;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.ServiceProcess;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.annotation.Property;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The scale-out proof (issue 6): three instances of the service, each its own process, on one
 * database, behind a round-robin "load balancer" (this test), with a mixed load of Pact and amoCRM
 * webhooks for several installations. One instance is killed with SIGKILL half-way and started again.
 * Then: every event processed exactly once, no outbound write twice, the per-account rates at the
 * fakes never above the limits, one token refresh per expired token, and the dead instance's
 * installations taken over within the lease time.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreeReplicasTest {

    static final int INSTALLATIONS = 6;
    static final int CONVERSATIONS = 3;
    static final int MESSAGES = 6;
    static final int COMMENTS = 3;
    static final Duration LEASE_TTL = Duration.ofSeconds(4);
    static final Duration RENEW = Duration.ofMillis(500);
    // Below the real limits (amoCRM 7/s, Pact 5/s), so that this load presses against them.
    static final int AMO_LIMIT_PER_SECOND = 2;
    static final int PACT_LIMIT_PER_SECOND = 1;
    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final ObjectMapper JSON = new ObjectMapper();

    /** One amoCRM for every account; each account calls it under a host of its own (127.0.0.x), as real accounts do. */
    static final AmoCrmFake AMO = AmoCrmFake.start();
    static final PactFake PACT = PactFake.start();

    @Inject
    InstallationRepository installations;
    @Inject
    SecretCipher cipher;
    @Inject
    TestSql sql;

    record Account(Installation installation, String host, String pactToken, boolean tokenExpired,
                   Map<Long, Long> leadByConversation) {
    }

    record Webhook(String path, String contentType, String body) {
    }

    @AfterAll
    void stop() {
        AMO.stop();
        PACT.stop();
    }

    @Test
    void threeInstancesOneKilledEveryEventOnceNoDuplicateCallsLimitsHeld() throws Exception {
        List<Account> accounts = new ArrayList<>();
        for (int i = 0; i < INSTALLATIONS; i++) {
            accounts.add(account(i));
        }
        PACT.setLimit("send", PACT_LIMIT_PER_SECOND + "/1s");
        PACT.setLimit("default", PACT_LIMIT_PER_SECOND + "/1s");
        List<Webhook> webhooks = webhooks(accounts);
        int distinctEvents = webhooks.size() / 2 + accounts.size() * CONVERSATIONS * COMMENTS / 2;

        List<ServiceProcess> started = new CopyOnWriteArrayList<>();
        try {
            List<CompletableFuture<ServiceProcess>> starting = List.of("a", "b", "c").stream()
                    .map(name -> CompletableFuture.supplyAsync(() -> ServiceProcess.start("replica-" + name, config(name))))
                    .toList();
            List<String> live = new CopyOnWriteArrayList<>();
            for (CompletableFuture<ServiceProcess> s : starting) {
                started.add(s.get(180, TimeUnit.SECONDS));
                live.add(started.get(started.size() - 1).baseUrl());
            }
            ServiceProcess victim = started.get(1);

            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger resent = new AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(8);
            AtomicInteger next = new AtomicInteger();
            for (Webhook webhook : webhooks) {
                senders.submit(() -> deliver(webhook, live, next, accepted, resent));
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> accepted.get() >= webhooks.size() / 2);
            live.remove(victim.baseUrl());
            Instant killedAt = Instant.now();
            victim.kill9();
            Duration takeover = awaitTakeover("replica-b-");
            ServiceProcess restarted = ServiceProcess.start("replica-b-again", config("b-again"));
            started.add(restarted);
            live.add(restarted.baseUrl());
            senders.shutdown();
            assertTrue(senders.awaitTermination(120, TimeUnit.SECONDS));

            await().atMost(Duration.ofSeconds(240)).until(() -> sql.count(
                    "SELECT COUNT(*) FROM outbox_command WHERE state IN ('PENDING', 'IN_FLIGHT')") == 0
                    && sql.count("SELECT COUNT(*) FROM inbound_event WHERE state <> 'DONE'") == 0
                    && sql.count("SELECT COUNT(*) FROM inbound_event") == distinctEvents);

            long processed = sql.count("SELECT COUNT(*) FROM sync_log WHERE kind = 'EVENT_PROCESSED'");
            long processedTwice = sql.count("SELECT COUNT(*) FROM (SELECT inbound_event_id FROM sync_log "
                    + "WHERE kind = 'EVENT_PROCESSED' GROUP BY inbound_event_id HAVING COUNT(*) > 1) d");
            assertEquals(distinctEvents, processed, "every event processed");
            assertEquals(0, processedTwice, "none twice");
            assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE state = 'DEAD'"), "nothing given up");

            Map<String, Long> notesPerMessage = notesPerMessage(accounts);
            long duplicateNotes = notesPerMessage.values().stream().filter(n -> n > 1).count();
            assertEquals(accounts.size() * CONVERSATIONS * MESSAGES, notesPerMessage.size(), "one note per message");
            assertEquals(0, duplicateNotes, "no note written twice: " + notesPerMessage);
            int maxAmoRate = 0;
            int maxPactRate = 0;
            for (Account a : accounts) {
                maxAmoRate = Math.max(maxAmoRate, maxPerSecond(AMO.calls().stream()
                        .filter(c -> a.host().equals(c.host()) && c.path().startsWith("/api/v4/")).toList()));
                maxPactRate = Math.max(maxPactRate, PACT.maxCallsInAnyWindowForToken(a.pactToken(), "default", Duration.ofSeconds(1)));
                long refreshes = AMO.calls().stream()
                        .filter(c -> a.host().equals(c.host()) && "/oauth2/access_token".equals(c.path())).count();
                assertEquals(a.tokenExpired() ? 1L : 0L, refreshes, "token refreshes of " + a.host());
                for (long conversation : a.leadByConversation().keySet()) {
                    long comments = PACT.calls().stream().filter(c -> "note".equals(c.endpoint())
                            && c.path().endsWith("/conversations/" + conversation + "/note")).count();
                    assertTrue(comments >= 1 && comments <= COMMENTS, "comments of conversation " + conversation + ": " + comments);
                }
            }
            assertTrue(maxAmoRate <= AMO_LIMIT_PER_SECOND, "amoCRM calls per account per second: " + maxAmoRate);
            assertTrue(maxPactRate <= PACT_LIMIT_PER_SECOND, "Pact calls per token per second: " + maxPactRate);
            assertEquals(0, PACT.rateLimitedCount("default") + PACT.rateLimitedCount("send"), "Pact never had to refuse a call");
            assertTrue(takeover.compareTo(LEASE_TTL.plus(RENEW.multipliedBy(4))) <= 0, "taken over within the lease time: " + takeover);
            System.out.printf("three replicas: events=%d (each processed once; duplicates 0, lost 0), webhooks posted=%d, "
                            + "re-sent after the kill=%d, amoCRM notes=%d (duplicates %d), max amoCRM calls/s per account=%d (limit %d), "
                            + "max Pact calls/s per token=%d (limit %d), lease takeover=%d ms after kill -9 (ttl %d ms), killed at %s%n",
                    distinctEvents, webhooks.size(), resent.get(), notesPerMessage.size(), duplicateNotes, maxAmoRate,
                    AMO_LIMIT_PER_SECOND, maxPactRate, PACT_LIMIT_PER_SECOND, takeover.toMillis(), LEASE_TTL.toMillis(), killedAt);
        } finally {
            for (ServiceProcess s : started) {
                s.stopQuietly();
            }
        }
    }

    private Map<String, String> config(String name) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.instance-id", "replica-" + name);
        c.put("datasources.default.url", sql.jdbcUrl());
        c.put("datasources.default.username", "root");
        c.put("datasources.default.maximum-pool-size", "10");
        c.put("connector.encryption-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        c.put("test.crm-double", "false");
        c.put("connector.pact.api-url", PACT.baseUrl());
        c.put("connector.amocrm.client-id", CLIENT_ID);
        c.put("connector.amocrm.client-secret", "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2");
        c.put("connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback");
        c.put("connector.amocrm.scheme", "http");
        c.put("connector.amocrm.allowed-host-suffixes", hosts());
        c.put("connector.amocrm.maintenance.enabled", "false");
        c.put("connector.rate-limits.amocrm.default", AMO_LIMIT_PER_SECOND + "/1s");
        c.put("connector.rate-limits.pact.default", PACT_LIMIT_PER_SECOND + "/1s");
        c.put("connector.rate-limits.pact.send", PACT_LIMIT_PER_SECOND + "/1s");
        c.put("connector.lease.ttl", LEASE_TTL.toMillis() + "ms");
        c.put("connector.lease.renew-every", RENEW.toMillis() + "ms");
        // The longest rate window here is one second.
        c.put("connector.lease.takeover-quiet", "1s");
        c.put("connector.relay.lease", "10s");
        c.put("connector.relay.reap-every", "1s");
        c.put("connector.dispatcher.lease", "5s");
        c.put("connector.dispatcher.reap-every", "1s");
        c.put("connector.outbox.retry-ladder", "200ms,400ms,800ms,1s,2s,2s,2s,2s");
        return c;
    }

    private static String hosts() {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < INSTALLATIONS; i++) {
            hosts.add("127.0.0." + (10 + i));
        }
        return String.join(",", hosts);
    }

    private Account account(int i) throws Exception {
        String host = "127.0.0." + (10 + i) + ":" + AMO.port();
        boolean expired = i % 2 == 1;
        String pactToken = "pact-replicas-" + i + "-" + UUID.randomUUID();
        Installation installation = installations.save(new Installation(null, CrmKind.AMOCRM, Long.toString(31_000_000L + i), host,
                InstallationStatus.ACTIVE, HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt("amo-access-" + i),
                cipher.encrypt("amo-refresh-" + i), Instant.now().plus(expired ? Duration.ofMinutes(-5) : Duration.ofHours(20)),
                null, 1L, cipher.encrypt(pactToken), null, null, null, null, null));
        Map<Long, Long> leads = new LinkedHashMap<>();
        for (int j = 0; j < CONVERSATIONS; j++) {
            long conversation = writeFirst(pactToken, "55119" + String.format("%08d", i * 100 + j));
            long lead = 7_000_000L + i * 100L + j;
            leads.put(conversation, lead);
            sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                    + "VALUES (?, ?, 'lead', ?)", installation.id(), conversation, Long.toString(lead));
        }
        return new Account(installation, host, pactToken, expired, leads);
    }

    /** A conversation at the Pact fake, opened the way an operator would (write first). */
    private static long writeFirst(String token, String phone) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(PACT.baseUrl() + "/api/p2/messages"))
                .header("X-Private-Api-Token", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"company_id\":1,\"provider\":\"whatsapp\",\"phone\":\"" + phone
                        + "\",\"text\":\"Olá\",\"send_to_crm\":false}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body()).at("/message/conversation_id").asLong();
    }

    /**
     * Per conversation: messages sent from Pact with their statuses (each Pact webhook delivered twice, as
     * Pact's retries do), and notes people write on the lead in amoCRM. Shuffled: order across accounts is
     * anyone's guess, and a status may arrive before the message it belongs to.
     */
    private List<Webhook> webhooks(List<Account> accounts) throws Exception {
        List<Webhook> all = new ArrayList<>();
        long messageId = 6_000_000_000L;
        long noteId = 900_000_000L;
        for (Account a : accounts) {
            for (Map.Entry<Long, Long> link : a.leadByConversation().entrySet()) {
                for (int m = 0; m < MESSAGES; m++) {
                    messageId++;
                    for (String fixture : List.of("message-create-outgoing", "message-update-delivered", "message-update-read")) {
                        ObjectNode body = (ObjectNode) JSON.readTree(PactWebhooks.message(fixture, messageId, link.getKey()));
                        ((ObjectNode) body.get("object")).put("message", "replicas-" + messageId);
                        String json = JSON.writeValueAsString(body);
                        all.add(new Webhook("/pact/webhooks/" + a.installation().pactHookKey(), "application/json", json));
                        all.add(new Webhook("/pact/webhooks/" + a.installation().pactHookKey(), "application/json", json));
                    }
                }
                for (int k = 0; k < COMMENTS; k++) {
                    noteId++;
                    all.add(new Webhook("/amocrm/webhooks/" + a.installation().hookKey(), "application/x-www-form-urlencoded",
                            amoNote(a, link.getValue(), noteId, "Cliente pediu retorno " + noteId)));
                }
            }
        }
        Collections.shuffle(all, new Random(20261124));
        return all;
    }

    /** A person's common note on a lead, shaped as amoCRM posts it (fixtures/amocrm-webhooks/note-lead-common.txt). */
    private static String amoNote(Account a, long lead, long noteId, String text) {
        String account = a.installation().crmAccountId();
        Map<String, String> f = new LinkedHashMap<>();
        String n = "leads[note][0][note]";
        f.put(n + "[text]", text);
        f.put(n + "[note_type]", "4");
        f.put(n + "[element_type]", "2");
        f.put(n + "[element_id]", Long.toString(lead));
        f.put(n + "[date_create]", "1763635200");
        f.put(n + "[created_at]", "1763635200");
        f.put(n + "[id]", Long.toString(noteId));
        f.put(n + "[created_by]", "938348");
        f.put(n + "[responsible_user_id]", "938348");
        f.put(n + "[account_id]", account);
        f.put(n + "[metadata]", "");
        f.put(n + "[last_modified]", "1763635200");
        f.put("account[subdomain]", "acme" + account);
        f.put("account[id]", account);
        return f.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    /** Round robin over the live instances; a refused or failed delivery is sent again to the next one, as the senders retry. */
    private static void deliver(Webhook webhook, List<String> live, AtomicInteger next, AtomicInteger accepted, AtomicInteger resent) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (int attempt = 0; attempt < 100; attempt++) {
            List<String> now = List.copyOf(live);
            String base = now.get(Math.floorMod(next.getAndIncrement(), now.size()));
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + webhook.path()))
                        .header("Content-Type", webhook.contentType()).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(webhook.body())).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    accepted.incrementAndGet();
                    return;
                }
            } catch (java.io.IOException e) {
                // the instance died under us: the sender tries again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            resent.incrementAndGet();
        }
        throw new IllegalStateException("no instance accepted a webhook");
    }

    /** Time from now until no live lease is held by the dead instance and every installation has a live lease. */
    private Duration awaitTakeover(String deadPrefix) {
        long start = System.nanoTime();
        await().atMost(LEASE_TTL.multipliedBy(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                sql.count("SELECT COUNT(*) FROM installation_lease WHERE lease_until > NOW(3) AND owner NOT LIKE ?", deadPrefix + "%")
                        == INSTALLATIONS);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** How many notes each message has in the leads' timelines at amoCRM (by the message's unique text). */
    private static Map<String, Long> notesPerMessage(List<Account> accounts) {
        Map<String, Long> count = new LinkedHashMap<>();
        for (Account a : accounts) {
            for (String text : AMO.noteTexts(a.host())) {
                int at = text.indexOf("replicas-");
                if (at >= 0) {
                    count.merge(text.substring(at, text.indexOf('”', at)), 1L, Long::sum);
                }
            }
        }
        return count;
    }

    private static int maxPerSecond(List<AmoCrmFake.Call> calls) {
        List<Long> times = calls.stream().map(c -> c.at().toEpochMilli()).sorted().toList();
        int max = 0;
        int from = 0;
        for (int to = 0; to < times.size(); to++) {
            while (times.get(to) - times.get(from) >= 1000) {
                from++;
            }
            max = Math.max(max, to - from + 1);
        }
        return max;
    }
}
