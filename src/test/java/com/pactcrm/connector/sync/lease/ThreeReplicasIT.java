package com.pactcrm.connector.sync.lease;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.Bitrix24Fake;
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
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scale-out proof (issue 6): three instances of the service, each its own process, on one
 * database, behind a round-robin "load balancer" (this test), with a mixed load of Pact and amoCRM
 * webhooks for several installations. One instance is killed with SIGKILL half-way and started again.
 * Then: every event processed exactly once, no outbound write twice, the per-account rates at the
 * fakes never above the limits (with no quiet period after the takeover: the new owners see the dead
 * one's calls in the limiters' state the database keeps), one token refresh per expired token, and
 * the dead instance's installations taken over within the lease time.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreeReplicasIT {

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
    @RegisterExtension
    static final AmoCrmFake AMO = AmoCrmFake.start();
    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    /** One Bitrix24 portal beside the amoCRM accounts, with a tight leaky bucket so that the load presses on it. */
    static final Bitrix24Fake B24 = Bitrix24Fake.running();
    static final int B24_BURST = 3;
    static final int B24_DRAIN_PER_SECOND = 1;
    static final List<String> B24_DEALS = List.of("8101", "8102");

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

    record Portal(Installation installation, String pactToken, Map<Long, String> dealByConversation) {
    }

    @AfterAll
    void stop() {
        B24.shutdown();
    }

    @Test
    void threeInstancesOneKilledEveryEventOnceNoDuplicateCallsLimitsHeld() throws Exception {
        List<Account> accounts = new ArrayList<>();
        for (int i = 0; i < INSTALLATIONS; i++) {
            accounts.add(account(i));
        }
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
            Portal portal = installPortal(started.get(0).baseUrl());
            PACT.setLimit("send", PACT_LIMIT_PER_SECOND + "/1s");
            PACT.setLimit("default", PACT_LIMIT_PER_SECOND + "/1s");
            List<Webhook> webhooks = webhooks(accounts);
            webhooks.addAll(webhooks(portal));
            Collections.shuffle(webhooks, new Random(20261124));
            int distinctEvents = new java.util.HashSet<>(webhooks).size();
            int installations = INSTALLATIONS + 1;

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
            Duration takeover = awaitTakeover("replica-b-", installations);
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
            for (Map.Entry<Long, String> link : portal.dealByConversation().entrySet()) {
                long comments = PACT.calls().stream().filter(c -> "note".equals(c.endpoint())
                        && c.path().endsWith("/conversations/" + link.getKey() + "/note")).count();
                assertTrue(comments >= 1 && comments <= COMMENTS, "comments of conversation " + link.getKey() + ": " + comments);
            }
            maxPactRate = Math.max(maxPactRate, PACT.maxCallsInAnyWindowForToken(portal.pactToken(), "default", Duration.ofSeconds(1)));
            Map<String, Long> timelinePerMessage = timelinePerMessage();
            assertEquals(B24_DEALS.size() * MESSAGES, timelinePerMessage.size(), "one timeline comment per message");
            assertTrue(timelinePerMessage.values().stream().allMatch(n -> n == 1), "none twice: " + timelinePerMessage);
            double b24Peak = peakBucketLevel(B24.calls());
            assertTrue(b24Peak <= B24_BURST + 1, "the portal's leaky bucket never overflowed: " + b24Peak + " "
                    + B24.calls().stream().map(c -> c.at() + " " + c.method() + " " + c.cmds()).toList());
            assertTrue(maxAmoRate <= AMO_LIMIT_PER_SECOND, "amoCRM calls per account per second: " + maxAmoRate);
            assertTrue(maxPactRate <= PACT_LIMIT_PER_SECOND, "Pact calls per token per second: " + maxPactRate);
            assertEquals(0, PACT.rateLimitedCount("default") + PACT.rateLimitedCount("send"), "Pact never had to refuse a call");
            assertTrue(takeover.compareTo(LEASE_TTL.plus(RENEW.multipliedBy(4))) <= 0, "taken over within the lease time: " + takeover);
            System.out.printf("three replicas: installations=%d (%d amoCRM, 1 Bitrix24), events=%d (each processed once; "
                            + "duplicates 0, lost 0), webhooks posted=%d, re-sent after the kill=%d, amoCRM notes=%d and Bitrix24 "
                            + "timeline comments=%d (duplicates 0), max amoCRM calls/s per account=%d (limit %d), max Pact calls/s "
                            + "per token=%d (limit %d), Bitrix24 bucket peak=%.1f (burst %d), lease takeover=%d ms after kill -9 "
                            + "(ttl %d ms), killed at %s%n",
                    installations, INSTALLATIONS, distinctEvents, webhooks.size(), resent.get(), notesPerMessage.size(),
                    timelinePerMessage.size(), maxAmoRate, AMO_LIMIT_PER_SECOND, maxPactRate, PACT_LIMIT_PER_SECOND, b24Peak,
                    B24_BURST, takeover.toMillis(), LEASE_TTL.toMillis(), killedAt);
        } finally {
            for (ServiceProcess s : started) {
                s.stopQuietly();
            }
        }
    }

    private Map<String, String> config(String name) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.instance-id", "replica-" + name);
        c.put("datasources.default.maximum-pool-size", "10");
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
        c.put("connector.bitrix24.client-id", Bitrix24Fake.CLIENT_ID);
        c.put("connector.bitrix24.client-secret", Bitrix24Fake.CLIENT_SECRET);
        c.put("connector.bitrix24.oauth-url", B24.oauthUrl());
        c.put("connector.bitrix24.scheme", "http");
        c.put("connector.bitrix24.burst", Integer.toString(B24_BURST));
        c.put("connector.bitrix24.drain-per-second", Integer.toString(B24_DRAIN_PER_SECOND));
        c.put("connector.lease.ttl", LEASE_TTL.toMillis() + "ms");
        c.put("connector.lease.renew-every", RENEW.toMillis() + "ms");
        c.put("connector.relay.lease", "10s");
        c.put("connector.relay.reap-every", "1s");
        c.put("connector.dispatcher.lease", "5s");
        c.put("connector.dispatcher.reap-every", "1s");
        c.put("connector.outbox.retry-ladder", "200ms,400ms,800ms,1s,2s,2s,2s,2s");
        return ServiceProcess.onDatabase(sql.jdbcUrl(), c);
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
     * Pact's retries do), and notes people write on the lead in amoCRM. The caller shuffles them all: order
     * across accounts is anyone's guess, and a status may arrive before the message it belongs to.
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
        return form(f);
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
    private Duration awaitTakeover(String deadPrefix, int installations) {
        long start = System.nanoTime();
        await().atMost(LEASE_TTL.multipliedBy(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                sql.count("SELECT COUNT(*) FROM installation_lease WHERE lease_until > NOW(3) AND owner NOT LIKE ?", deadPrefix + "%")
                        == installations);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * The Bitrix24 portal, installed through one replica's installer frame as Bitrix24 does it, then connected
     * to Pact; two deals each linked to a Pact conversation.
     */
    private Portal installPortal(String replica) throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("AUTH_ID", "b24-installer-frame-token");
        form.put("AUTH_EXPIRES", "3600");
        form.put("REFRESH_ID", B24.currentRefreshToken());
        form.put("member_id", Bitrix24Fake.MEMBER_ID);
        form.put("status", "L");
        form.put("PLACEMENT", "DEFAULT");
        form.put("PLACEMENT_OPTIONS", "{\"any\":\"5/\"}");
        form.put("APPLICATION_TOKEN", Bitrix24Fake.APPLICATION_TOKEN);
        form.put("APPLICATION_SCOPE", "crm,user,placement,event");
        HttpResponse<String> installed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(replica + "/bitrix24/install?DOMAIN=" + B24.host() + "&PROTOCOL=0&LANG=br&APP_SID=9f8e7d6c"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(form))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, installed.statusCode(), installed.body());
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, Bitrix24Fake.MEMBER_ID).orElseThrow();
        String pactToken = "pact-replicas-b24-" + UUID.randomUUID();
        sql.update("UPDATE installation SET pact_company_id = 1, pact_token_enc = ? WHERE id = ?", cipher.encrypt(pactToken),
                installation.id());
        Map<Long, String> deals = new LinkedHashMap<>();
        for (int j = 0; j < B24_DEALS.size(); j++) {
            String deal = B24_DEALS.get(j);
            B24.putDeal(deal, "9001", "7");
            long conversation = writeFirst(pactToken, "55219" + String.format("%08d", j));
            deals.put(conversation, deal);
            sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                    + "VALUES (?, ?, 'deal', ?)", installation.id(), conversation, deal);
        }
        return new Portal(installation, pactToken, deals);
    }

    /**
     * For the portal: Pact statuses of messages in the deals' conversations (each delivered twice), comments
     * people write in the deals (ONCRMTIMELINECOMMENTADD carries only the id) and a deal update.
     */
    private List<Webhook> webhooks(Portal portal) throws Exception {
        List<Webhook> all = new ArrayList<>();
        long messageId = 6_500_000_000L;
        String pactPath = "/pact/webhooks/" + portal.installation().pactHookKey();
        for (Map.Entry<Long, String> link : portal.dealByConversation().entrySet()) {
            for (int m = 0; m < MESSAGES; m++) {
                messageId++;
                for (String fixture : List.of("message-create-outgoing", "message-update-delivered", "message-update-read")) {
                    ObjectNode body = (ObjectNode) JSON.readTree(PactWebhooks.message(fixture, messageId, link.getKey()));
                    ((ObjectNode) body.get("object")).put("message", "replicas-" + messageId);
                    String json = JSON.writeValueAsString(body);
                    all.add(new Webhook(pactPath, "application/json", json));
                    all.add(new Webhook(pactPath, "application/json", json));
                }
            }
            for (int k = 0; k < COMMENTS; k++) {
                long comment = B24.personComment("deal", link.getValue(), "7", "Cliente pediu retorno " + link.getValue() + "-" + k);
                all.add(new Webhook("/bitrix24/events", "application/x-www-form-urlencoded",
                        Bitrix24Fake.event("timeline-comment-add", Long.toString(comment))));
            }
            all.add(new Webhook("/bitrix24/events", "application/x-www-form-urlencoded",
                    Bitrix24Fake.event("deal-update", link.getValue())));
        }
        return all;
    }

    /** How many timeline comments each message has in the portal's deals. */
    private static Map<String, Long> timelinePerMessage() {
        Map<String, Long> count = new LinkedHashMap<>();
        for (Bitrix24Fake.Comment comment : B24.comments()) {
            int at = comment.text().indexOf("replicas-");
            if (at >= 0) {
                int end = comment.text().indexOf('”', at);
                count.merge(comment.text().substring(at, end < 0 ? comment.text().length() : end), 1L, Long::sum);
            }
        }
        return count;
    }

    /** Replays the portal's leaky bucket over the requests it received; @return the highest level reached. */
    private static double peakBucketLevel(List<Bitrix24Fake.Call> calls) {
        double level = 0;
        double peak = 0;
        Instant previous = null;
        for (Bitrix24Fake.Call call : calls.stream().sorted(java.util.Comparator.comparing(Bitrix24Fake.Call::at)).toList()) {
            if (previous != null) {
                level = Math.max(0, level - Duration.between(previous, call.at()).toNanos() / 1e9 * B24_DRAIN_PER_SECOND);
            }
            level += 1;
            peak = Math.max(peak, level);
            previous = call.at();
        }
        return peak;
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
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
