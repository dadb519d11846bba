package com.pactcrm.connector.amocrm.client.dto;

import java.util.List;

/**
 * One page of a v4 list: the items of {@code _embedded.<entity>}, the {@code _page} number and whether
 * {@code _links.next} points further (amocrm.md §4.1). An empty result is a 204 and comes out as an
 * empty last page.
 */
public record AmoCrmPage<T>(List<T> items, int page, boolean hasNext) {

    public AmoCrmPage {
        items = List.copyOf(items);
    }

    public static <T> AmoCrmPage<T> empty(int page) {
        return new AmoCrmPage<>(List.of(), page, false);
    }
}
