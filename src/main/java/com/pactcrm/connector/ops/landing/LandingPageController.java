package com.pactcrm.connector.ops.landing;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.security.SecretCipher;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.health.HealthStatus;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.management.endpoint.health.HealthEndpoint;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * {@code GET /}: for whoever just started the service (or reaches a pod directly; the Ingress does not publish
 * it): what the service is, its health, the addresses to register in amoCRM and Bitrix24 (from
 * {@code connector.public-url}), and what is not configured yet. It says whether a secret is set, never what it is.
 */
@Controller
@ExecuteOn(TaskExecutors.BLOCKING)
class LandingPageController {

    /** The /ui pages' policy, but nothing may frame this page and it needs no script. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'none'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    static final String DEFAULT_PUBLIC_URL = "http://localhost:8080";

    private final HealthEndpoint health;
    private final AmoCrmConfiguration amocrm;
    private final Bitrix24Configuration bitrix24;
    private final SecretCipher cipher;
    private final String publicUrl;
    private final boolean opsTokenSet;
    private final boolean databaseConfigured;

    LandingPageController(HealthEndpoint health, AmoCrmConfiguration amocrm, Bitrix24Configuration bitrix24, SecretCipher cipher,
                          @Value("${connector.public-url}") String publicUrl,
                          @Nullable @Value("${connector.ops.token:}") String opsToken,
                          @Nullable @Value("${datasources.default.url:}") String databaseUrl) {
        this.health = health;
        this.amocrm = amocrm;
        this.bitrix24 = bitrix24;
        this.cipher = cipher;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        this.opsTokenSet = opsToken != null && !opsToken.isBlank();
        this.databaseConfigured = databaseUrl != null && !databaseUrl.isBlank();
    }

    @Get(produces = MediaType.TEXT_HTML)
    HttpResponse<String> landing() {
        return HttpResponse.ok(LandingPage.render(new LandingPage.Model(status(), publicUrl, missing())))
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache");
    }

    /** What an operator still has to set, in the order it matters. */
    private List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (DEFAULT_PUBLIC_URL.equals(publicUrl) || !publicUrl.startsWith("https://")) {
            missing.add("CONNECTOR_PUBLIC_URL is " + publicUrl + ": amoCRM, Bitrix24 and Pact call the service at this "
                    + "address, so it must be its public https address.");
        }
        if (cipher.usesDevelopmentKey()) {
            missing.add("CONNECTOR_ENCRYPTION_KEY is not set: tokens are encrypted with a development key generated in "
                    + "./data (set a key of your own, e.g. openssl rand -base64 32, before storing real tokens).");
        }
        if (!amocrm.configured()) {
            missing.add("amoCRM: AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET are not both set (the integration's keys, "
                    + "shown by amoCRM once the integration below is registered).");
        }
        String redirectUri = publicUrl + LandingPage.AMOCRM_REDIRECT;
        if (amocrm.configured() && !redirectUri.equals(amocrm.redirectUri())) {
            missing.add("amoCRM: AMOCRM_REDIRECT_URI must be " + redirectUri + ", the redirect URI registered in amoCRM.");
        }
        if (!bitrix24.configured()) {
            missing.add("Bitrix24: BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET are not both set (the application's "
                    + "keys, shown by Bitrix24 once the application below is registered).");
        }
        if (!databaseConfigured) {
            missing.add("DATASOURCES_DEFAULT_URL is not set: the data lives in an embedded MariaDB in ./data/db; "
                    + "production uses a MySQL 8 server.");
        }
        if (!opsTokenSet) {
            missing.add("CONNECTOR_OPS_TOKEN is not set: /health shows its details (database, queues) to no one.");
        }
        return missing;
    }

    /** The same status /health answers; "UNKNOWN" when the checks do not finish within two seconds. */
    private String status() {
        CompletableFuture<HealthResult> result = new CompletableFuture<>();
        health.getHealth(null).subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription subscription) {
                subscription.request(1);
            }

            @Override
            public void onNext(HealthResult health) {
                result.complete(health);
            }

            @Override
            public void onError(Throwable error) {
                result.completeExceptionally(error);
            }

            @Override
            public void onComplete() {
                result.complete(null);
            }
        });
        try {
            HealthResult health = result.get(2, TimeUnit.SECONDS);
            return health == null ? HealthStatus.UNKNOWN.getName() : health.getStatus().getName();
        } catch (ExecutionException | TimeoutException e) {
            return HealthStatus.UNKNOWN.getName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return HealthStatus.UNKNOWN.getName();
        }
    }
}
