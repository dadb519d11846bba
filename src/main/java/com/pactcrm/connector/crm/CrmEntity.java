package com.pactcrm.connector.crm;

import java.util.List;

/** What a card needs to know about its CRM entity: its name and the phones to write to (digits only). */
public record CrmEntity(String type, String id, String name, List<String> phones) {
}
