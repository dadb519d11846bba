package com.pactcrm.connector.testsupport;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

/**
 * WireMock answers to amoCRM's note batches (amocrm.md §4.4), shaped from the request itself: one created
 * or edited note per note sent, in order, as amoCRM answers a batch.
 */
public final class AmoCrmNoteAnswers {

    private AmoCrmNoteAnswers() {
    }

    /** {@code POST /api/v4/{entity}/notes}: a new id per note, with the {@code request_id} echoed. */
    public static ResponseDefinitionBuilder created() {
        return aResponse().withHeader("Content-Type", "application/hal+json")
                .withBody("{\"_embedded\":{\"notes\":[{{#each (jsonPath request.body '$') as |n|}}"
                        + "{\"id\":{{randomInt lower=100000 upper=999999999}},\"entity_id\":{{n.entity_id}},\"request_id\":\"{{@index}}\"}"
                        + "{{#unless @last}},{{/unless}}{{/each}}]}}")
                .withTransformers("response-template");
    }

    /** {@code PATCH /api/v4/{entity}/notes}: the edited notes, by their ids. */
    public static ResponseDefinitionBuilder edited() {
        return aResponse().withHeader("Content-Type", "application/hal+json")
                .withBody("{\"_embedded\":{\"notes\":[{{#each (jsonPath request.body '$') as |n|}}"
                        + "{\"id\":{{n.id}},\"entity_id\":{{n.entity_id}},\"updated_at\":1763634700}"
                        + "{{#unless @last}},{{/unless}}{{/each}}]}}")
                .withTransformers("response-template");
    }
}
