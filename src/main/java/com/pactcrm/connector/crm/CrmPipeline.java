package com.pactcrm.connector.crm;

import java.util.List;

/**
 * Where a new lead or deal can start: {@code entity} lead or deal, the pipeline (amoCRM pipeline, Bitrix24 deal
 * category; null for Bitrix24 leads, which have none) and its stages in order. A stage id is the CRM's own: amoCRM
 * status ids as text ({@code unsorted} for the pipeline's "Incoming"), Bitrix24 stage ids ({@code C2:NEW}, a lead's
 * {@code NEW}).
 */
public record CrmPipeline(String entity, Long id, String name, List<Stage> stages) {

    public record Stage(String id, String name) {
    }
}
