package com.pactcrm.connector.crm.event;

/**
 * The CRM entities the connector follows. amoCRM leads and Bitrix24 deals are both {@link #LEAD}: the
 * use-cases only care that it is the "sale" a conversation belongs to.
 */
public enum CrmEntityType {
    LEAD("lead"),
    CONTACT("contact"),
    COMPANY("company");

    private final String wireName;

    CrmEntityType(String wireName) {
        this.wireName = wireName;
    }

    /** Lower-case name, as {@link com.pactcrm.connector.crm.CrmEntityRef#type()} spells it. */
    public String wireName() {
        return wireName;
    }
}
