"""realistic: request URLs, headers and JSON bodies as bot builders write
them, rendered over realistic conversation contexts (full, sparse, nulls,
unicode, big ids, empty lists)."""
from cases import R

CONTEXTS = {
    "full": r'''{"orderId": "A-10023", "userName": "Ann O'Neil", "email": "ann@example.com", "phone": "+4512345678", "vip": true,
      "conversation": {"id": "c0nv-8f3a", "language": "da", "channel": "web", "started_at": "2024-05-01T08:30:00Z"},
      "event": {"id": "evt_01HX", "type": "connection.fired"}, "cart": {"lines": [{"sku": "X1", "qty": 2, "price": 19.99, "name": "Mug"}, {"sku": "Y2", "qty": 1, "price": 5, "name": "Tea \"Earl\""}], "currency": "DKK"},
      "customerId": 9007199254740993, "tags": ["vip", "returning"], "score": 8.5, "attempts": 2, "date": "2024-05-01", "notes": "line1\nline2",
      "address": {"street": "Nørregade 1", "city": "København", "zip": "1165"}, "consent": false, "locale": "da-DK", "order": {"items": [{"sku": "X1"}]}}''',
    "sparse": r'''{"orderId": "B-7", "userName": "bob", "conversation": {"id": "c1"}, "event": {"id": "e1"}, "cart": {"lines": []},
      "tags": [], "attempts": 0, "order": {"id": 1}}''',
    "nulls": r'''{"orderId": null, "userName": null, "email": null, "phone": null, "vip": null, "conversation": {"id": "c2", "language": null, "channel": null},
      "event": {"id": "e2", "type": null}, "cart": {"lines": null, "currency": null}, "customerId": null, "tags": null, "score": null, "attempts": null,
      "date": null, "notes": null, "address": null, "consent": null, "locale": null}''',
    "unicode": r'''{"orderId": "ÆØÅ-1/2?x=y&z", "userName": "Zoë 🐙 Ünal", "email": "zoë@exämple.dk", "phone": "", "vip": false,
      "conversation": {"id": "c3", "language": "de", "channel": "whatsapp"}, "event": {"id": "e3", "type": "t"},
      "cart": {"lines": [{"sku": "Ü", "qty": 1, "price": 0.1, "name": "<b>Bold</b> & \"quoted\""}], "currency": "€"},
      "customerId": -1, "tags": ["ß", "é"], "score": 0, "attempts": 1, "date": "2024-12-31", "notes": "tab\there", "address": {"street": "Straße 5", "city": "Köln", "zip": null}, "consent": true, "locale": "de"}''',
    "numbers": r'''{"orderId": 12345, "userName": "N", "conversation": {"id": 42, "language": "en"}, "event": {"id": 18446744073709551616},
      "cart": {"lines": [{"sku": 1, "qty": 3, "price": 2.5, "name": 7}, {"sku": 2, "qty": 0, "price": 1e-7, "name": true}], "currency": "USD"},
      "customerId": 123456789012345678901234567890, "tags": [1, 2.0, true], "score": 1e16, "attempts": 10, "date": 20240101, "vip": 1}''',
    "types": r'''{"orderId": ["A", "B"], "userName": {"first": "Ann"}, "conversation": {"id": "c5", "language": "fr"}, "event": {"id": "e5"},
      "cart": {"lines": [{"sku": "S", "qty": "2", "price": "9.90", "name": "str qty"}]}, "vip": "yes", "tags": "a,b", "attempts": "3", "score": "7.5"}''',
}

TEMPLATES = [
    ("url-order", "https://api.example.com/v2/orders/{{ orderId }}?lang={{ conversation.language | default('en') }}"),
    ("url-order-urlencode", "https://api.example.com/v2/orders/{{ orderId | urlencode }}?lang={{ conversation.language | default('en', true) }}"),
    ("url-query-dict", "https://api.example.com/search?{{ {'q': userName, 'channel': conversation.channel, 'n': attempts} | urlencode }}"),
    ("url-customer", "https://crm.example.com/customers/{{ customerId }}/tickets"),
    ("url-email-query", "https://api.example.com/lookup?email={{ email | urlencode }}"),
    ("header-auth", "Bearer {{ event.id }}.{{ conversation.id }}"),
    ("header-lang", "{{ locale | default(conversation.language, true) | default('en', true) }}"),
    ("body-basic", '{"name": "{{ userName }}", "conversation": "{{ conversation.id }}", "phone": "{{ phone }}"}'),
    ("body-tojson", '{"name": {{ userName | tojson }}, "email": {{ email | tojson }}, "vip": {{ vip | tojson }}}'),
    ("body-tojson-default", '{"name": {{ userName | default("anonymous", true) | tojson }}, "lang": {{ conversation.language | default("en") | tojson }}}'),
    ("body-tier", '{"tier": "{{ \'VIP\' if vip else \'regular\' }}", "attempts": {{ attempts | default(0) }}}'),
    ("body-tier-upper", '{"tier": "{{ (\'VIP\' if vip else \'regular\') | upper }}"}'),
    ("body-items-loop", '{"items": [{% for i in cart.lines %}{"sku": "{{ i.sku }}", "qty": {{ i.qty }}}{% if not loop.last %},{% endif %}{% endfor %}]}'),
    ("body-items-loop-ws", '{\n  "items": [\n  {%- for i in cart.lines %}\n    {"sku": {{ i.sku | tojson }}, "qty": {{ i.qty | int }}}{{ "," if not loop.last }}\n  {%- endfor %}\n  ]\n}'),
    ("body-items-tojson", '{"items": {{ cart.lines | tojson }}, "count": {{ cart.lines | length }}}'),
    ("body-total", '{"total": {{ cart.lines | sum(attribute="price") | round(2) }}, "currency": "{{ cart.currency | default("EUR") }}"}'),
    ("body-line-totals", '{% for i in cart.lines %}{{ i.name }}: {{ (i.price * i.qty) | round(2) }}\n{% endfor %}'),
    ("body-skus-join", '{"skus": "{{ cart.lines | map(attribute="sku") | join(",") }}"}'),
    ("body-tags", '{"tags": {{ tags | tojson }}, "first_tag": "{{ tags | first }}", "n": {{ tags | length }}}'),
    ("body-tags-if", '{% if tags %}{"tags": "{{ tags | join(";") }}"}{% else %}{"tags": null}{% endif %}'),
    ("body-date", '{"date": "{{ date }}", "year": "{{ date[:4] }}"}'),
    ("body-started", '{"started": "{{ conversation.started_at | default("") }}", "day": "{{ (conversation.started_at | default("0000-00-00T"))[:10] }}"}'),
    ("body-phone", "Phone: {{ phone }}"),
    ("body-phone-default", "Phone: {{ phone | default('n/a', true) }}"),
    ("body-phone-strip", '{"phone": "{{ (phone or "") | replace("+", "") | replace(" ", "") }}"}'),
    ("body-address", "{{ address.street }}, {{ address.zip }} {{ address.city }}"),
    ("body-address-guard", "{% if address %}{{ address.street }}, {{ address.city }}{% else %}no address{% endif %}"),
    ("body-notes", '{"notes": {{ notes | tojson }}}'),
    ("body-notes-raw", '{"notes": "{{ notes }}"}'),
    ("body-score", '{"score": {{ score }}, "pct": {{ (score * 10) | round | int if score is number else 0 }}}'),
    ("body-score-format", "Score: {{ '%.1f' | format(score | float) }}"),
    ("body-consent", '{"consent": {{ "true" if consent else "false" }}, "raw": "{{ consent }}"}'),
    ("body-greeting", "Hej {{ userName | default('kunde', true) | title }}! Din ordre {{ orderId }} er {{ 'klar' if attempts and attempts > 1 else 'på vej' }}."),
    ("body-initial", "{{ (userName | string)[0] | upper }}."),
    ("body-email-domain", "{{ email.split('@') | last if email else 'none' }}"),
    ("body-event", '{"event_id": "{{ event.id }}", "type": "{{ event.type | default("unknown") }}", "conv": {{ conversation.id | tojson }}}'),
    ("body-channel-switch", "{% if conversation.channel == 'web' %}W{% elif conversation.channel == 'whatsapp' %}WA{% elif conversation.channel %}{{ conversation.channel | upper }}{% else %}?{% endif %}"),
    ("body-set-vars", "{% set name = userName | default('x', true) %}{% set n = cart.lines | default([], true) | length %}{{ name }} has {{ n }} item{{ 's' if n != 1 }}"),
    ("body-namespace-total", "{% set ns = namespace(t=0) %}{% for i in cart.lines | default([], true) %}{% set ns.t = ns.t + i.qty * i.price %}{% endfor %}{{ ns.t | round(2) }}"),
    ("body-attempts-math", "{{ attempts + 1 }} of {{ 3 }}"),
    ("body-customer-str", '{"customer": "{{ customerId }}", "customer_num": {{ customerId | tojson }}}'),
    ("body-csv", "{{ [orderId, userName, email] | join(';') }}"),
    ("body-csv-map-string", "{{ [orderId, userName, email] | map('string') | join(';') }}"),
    ("body-items-table", "{% for i in cart.lines %}{{ loop.index }}. {{ i.name | truncate(10, true, '…', 0) }} x{{ i.qty }}\n{% else %}(empty cart){% endfor %}"),
    ("body-items-loop-dot-items-is-method", '[{% for i in order.items %}{{ i.sku }}{% endfor %}]'),
    ("body-items-tojson-dot-items-is-method", '{"items": {{ order.items | tojson }}}'),
    ("body-items-dot-items-call", '{% for k, v in order.items() %}{{ k }};{% endfor %}'),
]


def cases():
    out = []
    for tname, tpl in TEMPLATES:
        for cname, ctx in CONTEXTS.items():
            out.append(R(f"{tname}-{cname}", tpl, ctx))
    return out
