"""mapper: Response Mapper expressions (mode expr: the typed value of one
{{ expression }}) over realistic API responses, plus render-mode twins with
text outside the braces (always a string)."""
from cases import R, X

ZENDESK = r'''{"ticket": {"id": 35436, "url": "https://acme.zendesk.com/api/v2/tickets/35436.json", "external_id": null,
 "created_at": "2024-03-09T21:14:07Z", "subject": "Help, my printer is on fire!", "description": "The fire is very colorful.",
 "priority": "high", "status": "open", "requester_id": 20978392, "assignee_id": null, "group_id": 98738,
 "tags": ["enterprise", "printer", "fire"], "custom_fields": [{"id": 27642, "value": "745"}, {"id": 27648, "value": null}],
 "satisfaction_rating": null, "has_incidents": false, "is_public": true, "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}}},
 "audit": {"events": []}}'''

SHOPIFY = r'''{"order": {"id": 450789469001234567, "email": "bob.norman@mail.example.com", "closed_at": null,
 "created_at": "2024-04-01T10:00:00-04:00", "number": 1001, "note": null, "total_price": "199.65", "subtotal_price": 597.0,
 "total_weight": 0, "total_tax": 11.94, "taxes_included": false, "currency": "EUR", "financial_status": "partially_refunded",
 "confirmed": true, "total_discounts": "10.00", "buyer_accepts_marketing": false, "name": "#1001", "order_number": 1001,
 "discount_codes": [{"code": "TENOFF", "amount": "10.00", "type": "fixed_amount"}],
 "line_items": [{"id": 466157049, "title": "IPod Nano - 8gb", "quantity": 1, "price": 199.0, "sku": "IPOD2008GREEN", "gift_card": false, "properties": []},
                {"id": 518995019, "title": "IPod Nano - 8gb", "quantity": 2, "price": 19.99, "sku": "IPOD2008RED", "gift_card": false, "properties": [{"name": "engraving", "value": "é ♥"}]},
                {"id": 703073504, "title": "Gift card", "quantity": 1, "price": 25, "sku": null, "gift_card": true, "properties": []}],
 "shipping_address": {"first_name": "Bob", "last_name": "Norman", "address1": "Chestnut Street 92", "phone": null, "city": "Louisville", "zip": "40202", "country_code": "US", "latitude": 45.41634, "longitude": -75.6868},
 "fulfillments": [], "refunds": [{"id": 509562969, "note": "it broke during shipping", "transactions": [{"amount": "41.94", "status": "success"}]}]}}'''

CRM = r'''{"response": {"status_code": 200, "headers": {"content-type": "application/json", "x-request-id": "abc-123"},
 "body": {"data": [{"id": "c1", "type": "contact", "attributes": {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "phone": null, "score": 87.5, "vip": true, "tags": []}},
                   {"id": "c2", "type": "contact", "attributes": {"first_name": "Émile", "last_name": null, "email": null, "phone": "+4512345678", "score": 0, "vip": false, "tags": ["lead"]}}],
 "meta": {"total": 2, "page": 1, "next": null}}}, "status": 200, "items": [], "count": 0, "ok": true, "error": null,
 "data": {"items": [1, 2, 3], "keys": "k", "values": "v"}}'''

WEATHER = r'''{"coord": {"lon": 12.57, "lat": 55.68}, "weather": [{"id": 803, "main": "Clouds", "description": "broken clouds"}],
 "main": {"temp": 281.15, "feels_like": 278.4, "humidity": 81, "pressure": 1012}, "wind": {"speed": 5.66, "deg": 250, "gust": null},
 "visibility": 10000, "dt": 1712345678, "name": "Copenhagen", "cod": 200, "sys": {"country": "DK", "sunrise": 1712290000}}'''

EXPRS = {
    "zendesk": (ZENDESK, [
        ("status", "ticket.status"), ("id", "ticket.id"), ("id-item", "ticket['id']"), ("subject-upper", "ticket.subject | upper"),
        ("external-id-null", "ticket.external_id"), ("assignee-default", "ticket.assignee_id | default('unassigned')"),
        ("assignee-default-bool", "ticket.assignee_id | default('unassigned', true)"), ("missing-field", "ticket.due_at"),
        ("missing-nested-error", "ticket.due_at.date"), ("null-nested", "ticket.satisfaction_rating.score"),
        ("tags", "ticket.tags"), ("tags-join", "ticket.tags | join(',')"), ("tags-length", "ticket.tags | length"),
        ("tags-first", "ticket.tags | first"), ("tags-last", "ticket.tags[-1]"), ("has-fire-tag", "'fire' in ticket.tags"),
        ("custom-field-value", "ticket.custom_fields[0].value"), ("custom-field-int", "ticket.custom_fields[0].value | int"),
        ("custom-field-null", "ticket.custom_fields[1].value"), ("custom-field-by-id", "(ticket.custom_fields | selectattr('id', 'eq', 27642) | first).value"),
        ("custom-field-by-id-missing", "ticket.custom_fields | selectattr('id', 'eq', 1) | first"),
        ("custom-field-ids", "ticket.custom_fields | map(attribute='id') | list"), ("via-channel", "ticket.via.channel"),
        ("via-source-rel", "ticket.via.source.rel"), ("via-from-empty", "ticket.via.source['from']"), ("is-high", "ticket.priority == 'high'"),
        ("is-public", "ticket.is_public"), ("not-incidents", "not ticket.has_incidents"), ("events-count", "audit.events | length"),
        ("events-first", "audit.events | first"), ("date-part", "ticket.created_at[:10]"), ("date-split", "ticket.created_at.split('T')[0]"),
        ("url-id", "ticket.url.split('/')[-1].split('.')[0] | int"), ("cond-priority", "'urgent' if ticket.priority in ['high', 'urgent'] else 'normal'"),
        ("cond-number", "ticket.tags | length if ticket.tags else 0"), ("dict-literal", "{'id': ticket.id, 'status': ticket.status}"),
        ("tuple", "(ticket.id, ticket.status)"), ("list-literal", "[ticket.id, ticket.group_id]"), ("arith", "ticket.requester_id + 1"),
        ("id-string", "ticket.id | string"), ("id-tojson", "ticket | tojson | length > 100"), ("whole-object", "ticket.via"),
        ("none-literal", "none"), ("bool-literal", "true"), ("subject-wordcount", "ticket.subject | wordcount"),
        ("subject-truncate", "ticket.subject | truncate(15, true, '…', 0)"), ("status-title", "ticket.status | title"),
        ("and-chain", "ticket.is_public and ticket.status"), ("or-chain", "ticket.assignee_id or ticket.group_id"),
        ("dict-method-keys", "ticket.via.keys() | list"), ("items-key-vs-method", "ticket.via.items is callable"),
    ]),
    "shopify": (SHOPIFY, [
        ("order-id-big", "order.id"), ("order-id-string", "order.id | string"), ("email", "order.email"), ("total-price-str", "order.total_price"),
        ("total-price-float", "order.total_price | float"), ("subtotal", "order.subtotal_price"), ("tax", "order.total_tax"),
        ("total-plus-tax", "order.subtotal_price + order.total_tax"), ("total-round", "(order.subtotal_price * 1.25) | round(2)"),
        ("weight-zero", "order.total_weight"), ("weight-default-bool", "order.total_weight | default('n/a', true)"),
        ("first-item", "order.line_items[0]"), ("first-item-title", "order.line_items[0]['title']"), ("first-item-title-attr", "order.line_items[0].title"),
        ("item-ids", "order.line_items | map(attribute='id') | list"), ("item-skus", "order.line_items | map(attribute='sku') | list"),
        ("item-skus-nonnull", "order.line_items | map(attribute='sku') | reject('none') | list"), ("item-count", "order.line_items | length"),
        ("item-qty-sum", "order.line_items | sum(attribute='quantity')"), ("item-price-sum", "order.line_items | sum(attribute='price')"),
        ("item-max-price", "(order.line_items | max(attribute='price')).title"), ("gift-cards", "order.line_items | selectattr('gift_card') | list | length"),
        ("non-gift-titles", "order.line_items | rejectattr('gift_card') | map(attribute='title') | unique | list"),
        ("line-total", "order.line_items[1].price * order.line_items[1].quantity"), ("engraving", "order.line_items[1].properties[0].value"),
        ("properties-empty-first", "order.line_items[0].properties | first"), ("discount-code", "order.discount_codes[0].code"),
        ("discount-codes-join", "order.discount_codes | map(attribute='code') | join(', ')"), ("discount-float", "order.total_discounts | float"),
        ("fulfillments-empty", "order.fulfillments"), ("fulfillment-status", "order.fulfillments[0].status"),
        ("fulfillment-first", "order.fulfillments | first"), ("refund-amount", "order.refunds[0].transactions[0].amount | float"),
        ("refund-note-upper", "order.refunds[0].note | capitalize"), ("city", "order.shipping_address.city"),
        ("phone-null", "order.shipping_address.phone"), ("phone-default", "order.shipping_address.phone | default('none', true)"),
        ("full-name", "order.shipping_address.first_name ~ ' ' ~ order.shipping_address.last_name"),
        ("lat", "order.shipping_address.latitude"), ("lat-round", "order.shipping_address.latitude | round(2)"),
        ("closed", "order.closed_at is none"), ("closed-cond", "'closed' if order.closed_at else 'open'"), ("note-null", "order.note"),
        ("name-strip-hash", "order.name | replace('#', '')"), ("name-int", "order.name[1:] | int"), ("currency-lower", "order.currency | lower"),
        ("status-split", "order.financial_status.split('_')"), ("confirmed-and-paid", "order.confirmed and order.financial_status == 'paid'"),
        ("skus-dict", "dict(first=order.line_items[0].sku, count=order.line_items | length)"), ("items-by-sku", "order.line_items | groupby('gift_card') | map(attribute='grouper') | list"),
        ("items-sorted-price", "order.line_items | sort(attribute='price') | map(attribute='price') | list"),
        ("created-date", "order.created_at[:10]"), ("big-id-arith", "order.id + 1"), ("big-id-floordiv", "order.id // 1000"),
        ("big-id-div", "order.id / 1000"), ("line-item-missing-index", "order.line_items[5]"), ("line-item-missing-index-attr", "order.line_items[5].title"),
    ]),
    "crm": (CRM, [
        ("status-code", "response.status_code"), ("status-ok", "response.status_code == 200"), ("status-2xx", "200 <= response.status_code < 300"),
        ("header-dash", "response.headers['content-type']"), ("header-dash-attr-error", "response.headers.content-type"),
        ("request-id", "response.headers['x-request-id']"), ("first-contact", "response.body.data[0]"), ("first-email", "response.body.data[0].attributes.email"),
        ("second-email-null", "response.body.data[1].attributes.email"), ("second-email-default", "response.body.data[1].attributes.email | default('-', true)"),
        ("names", "response.body.data | map(attribute='attributes.first_name') | list"), ("last-names", "response.body.data | map(attribute='attributes.last_name') | list"),
        ("vip-ids", "response.body.data | selectattr('attributes.vip') | map(attribute='id') | list"), ("vip-first", "response.body.data | selectattr('attributes.vip') | first"),
        ("nonvip-first-name", "(response.body.data | rejectattr('attributes.vip') | first).attributes.first_name"), ("score-avg", "(response.body.data | sum(attribute='attributes.score')) / response.body.meta.total"),
        ("score-max", "response.body.data | map(attribute='attributes.score') | max"), ("tags-flat", "response.body.data | map(attribute='attributes.tags') | sum(start=[])"),
        ("total", "response.body.meta.total"), ("next-null", "response.body.meta.next"), ("has-next", "response.body.meta.next is not none"),
        ("count-if", "count if count else 'none'"), ("items-length-if", "items | length if items else 0"), ("items-first", "items | first"),
        ("ok", "ok"), ("error-null", "error"), ("error-default", "error | default('no error')"), ("missing-top", "result"), ("status-top", "status"),
        ("data-items-key", "data['items']"), ("data-items-attr-is-method", "data.items is callable"), ("data-keys-attr-is-method", "data.keys is callable"),
        ("data-values-item", "data['values']"), ("data-items-method-call", "data.items() | list | length"),
        ("phone-digits", "response.body.data[1].attributes.phone[1:]"), ("phone-int", "response.body.data[1].attributes.phone | int"),
        ("email-domain", "response.body.data[0].attributes.email.split('@')[1]"), ("name-upper-unicode", "response.body.data[1].attributes.first_name | upper"),
        ("name-length-unicode", "response.body.data[1].attributes.first_name | length"), ("contact-dict-build", "{'name': response.body.data[0].attributes.first_name, 'vip': response.body.data[0].attributes.vip}"),
        ("tojson-string", "response.body.meta | tojson"), ("body-keys", "response.body | list"), ("headers-items", "response.headers | dictsort"),
        ("not-found-index", "response.body.data[9]"), ("negative-index", "response.body.data[-1].id"), ("slice", "response.body.data[:1] | map(attribute='id') | list"),
        ("chained-default", "response.body.data[0].attributes.company | default(response.body.data[0].attributes.email)"),
    ]),
    "weather": (WEATHER, [
        ("temp-kelvin", "main.temp"), ("temp-celsius", "main.temp - 273.15"), ("temp-celsius-round", "(main.temp - 273.15) | round(1)"),
        ("temp-int", "(main.temp - 273.15) | int"), ("description", "weather[0].description"), ("description-title", "weather[0].description | title"),
        ("main-first", "(weather | first).main"), ("wind-gust-null", "wind.gust"), ("wind-gust-default", "wind.gust | default(wind.speed, true)"),
        ("humidity-pct", "main.humidity ~ '%'"), ("visibility-km", "visibility / 1000"), ("visibility-km-int", "visibility // 1000"),
        ("name", "name"), ("country", "sys.country"), ("coords", "[coord.lat, coord.lon]"), ("cold", "main.temp < 283.15"),
        ("wind-beaufort", "'strong' if wind.speed > 10 else 'moderate' if wind.speed > 5 else 'light'"), ("dt-arith", "dt - sys.sunrise"),
        ("pressure-format", "'{:,} hPa'.format(main.pressure)"), ("feels-like-format", "'%.1f' | format(main.feels_like - 273.15)"),
    ]),
}

RENDER_TWINS = [
    ("zendesk", "Ticket {{ ticket.id }}"), ("zendesk", " {{ ticket.id }}"), ("zendesk", "{{ ticket.id }} "), ("zendesk", "{{ ticket.status }}\n"),
    ("zendesk", "{{ ticket.tags }}"), ("zendesk", "{{ ticket.tags | join(', ') }} ({{ ticket.tags | length }})"),
    ("zendesk", "{{ ticket.external_id }}"), ("zendesk", "[{{ ticket.due_at }}]"), ("zendesk", "{{ ticket.via }}"),
    ("zendesk", "{{ ticket.id }}{{ ticket.group_id }}"), ("zendesk", "{{ ticket.is_public }}"),
    ("shopify", "{{ order.id }}"), ("shopify", "Total: {{ order.total_price }} {{ order.currency }}"), ("shopify", "{{ order.line_items[0] }}"),
    ("shopify", "{{ order.line_items | map(attribute='sku') | list }}"), ("shopify", "{{ order.subtotal_price + order.total_tax }}"),
    ("shopify", "{{ order.shipping_address.phone }}"), ("shopify", "{{ order.line_items | map(attribute='id') | join(',') }}"),
    ("crm", "{{ response.body.data[1].attributes }}"), ("crm", "{{ response.body.meta }}"), ("crm", "{{ items | length if items else 0 }} items"),
    ("crm", "{{ response.body.data | selectattr('attributes.vip') | first }}"), ("crm", "{{ data.items is callable }} {{ data['items'] }}"),
    ("weather", "{{ (main.temp - 273.15) | round(1) }}°C"), ("weather", "{{ main.temp - 273.15 }}"),
]


def cases():
    out = []
    for ctxname, (ctx, exprs) in EXPRS.items():
        for name, expr in exprs:
            out.append(X(f"{ctxname}-{name}", expr, ctx))
    seen = {}
    for ctxname, tpl in RENDER_TWINS:
        k = seen.get(ctxname, 0) + 1
        seen[ctxname] = k
        out.append(R(f"text-{ctxname}-{k:02d}", tpl, EXPRS[ctxname][0]))
    # the same expressions rendered as strings (bodies and headers use them this way)
    for ctxname, (ctx, exprs) in EXPRS.items():
        for name, expr in exprs[::3]:
            out.append(R(f"str-{ctxname}-{name}", "{{ " + expr + " }}", ctx))
    return out
