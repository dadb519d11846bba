package com.pactcrm.connector.ops.landing;

import java.util.List;

/** The landing page's HTML, from what {@link LandingPageController} found; every value is escaped. */
final class LandingPage {

    static final String AMOCRM_REDIRECT = "/amocrm/oauth/callback";

    record Model(String status, String publicUrl, List<String> missing) {
    }

    private LandingPage() {
    }

    static String render(Model m) {
        String base = m.publicUrl();
        StringBuilder missing = new StringBuilder();
        if (m.missing().isEmpty()) {
            missing.append("<p>Nothing: every setting this page checks is set.</p>\n");
        } else {
            missing.append("<ul>\n");
            m.missing().forEach(item -> missing.append("<li>").append(escape(item)).append("</li>\n"));
            missing.append("</ul>\n");
        }
        return """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Pact CRM Connector</title>
                </head>
                <body>
                <main>
                <h1>Pact CRM Connector</h1>
                <p>Joins the Pact business inbox (WhatsApp, WABA, Telegram) with amoCRM/Kommo and Bitrix24: managers write
                first from the CRM card, the CRM's responsible user and comments reach Pact, and every message's status
                (queued, delivered, read, error) appears in the CRM timeline.</p>

                <h2>Health</h2>
                <p>Status: <strong id="status">%s</strong> &middot; <a href="/health">/health</a> (details with
                <code>Authorization: Bearer &lt;CONNECTOR_OPS_TOKEN&gt;</code>) &middot;
                <a href="/health/readiness">/health/readiness</a> &middot; <a href="/prometheus">/prometheus</a></p>

                <h2>Not configured yet</h2>
                %s
                <h2>Register in amoCRM</h2>
                <p>Settings &rarr; Integrations &rarr; Create integration, as an account administrator:</p>
                <dl>
                <dt>Redirect URI</dt><dd><code id="amocrm-redirect-uri">%s</code></dd>
                <dt>&ldquo;Integration disabled&rdquo; hook</dt><dd><code id="amocrm-disconnect">%s</code></dd>
                <dt>Widget setting &ldquo;Pact connector address&rdquo;</dt><dd><code>%s</code></dd>
                <dt>Connecting an account without the marketplace</dt><dd><code>%s</code></dd>
                </dl>

                <h2>Register in Bitrix24</h2>
                <p>Developer resources &rarr; Other &rarr; Local application (or the vendor console for a Market application):</p>
                <dl>
                <dt>Your handler path</dt><dd><code id="bitrix24-handler">%s</code></dd>
                <dt>Initial installation path</dt><dd><code id="bitrix24-install">%s</code></dd>
                <dt>Scopes</dt><dd><code>crm</code>, <code>user</code>, <code>placement</code>, <code>messageservice</code></dd>
                </dl>
                <p>Then give the service the keys each CRM shows, connect Pact from the CRM's settings page, and see
                README.md for the rest.</p>
                </main>
                </body>
                </html>
                """.formatted(escape(m.status()), missing, escape(base + AMOCRM_REDIRECT), escape(base + "/amocrm/disconnect"),
                escape(base), escape(base + "/amocrm/oauth/start"), escape(base + "/bitrix24/app"),
                escape(base + "/bitrix24/install"));
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
