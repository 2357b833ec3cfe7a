"""Charts drawn on the server: geometry for an SVG that the template writes (no script, no
style attribute: the Content-Security-Policy allows neither inline)."""


def bars(rows, width=560, bar=26, gap=8, label_w=150):
    """Horizontal bar chart geometry for a server-rendered SVG: rows of (label, value, color,
    url); each bar is a link to ``url``, the DID list filtered to what it counts (None: no
    link)."""
    top = max([v for _l, v, _c, _u in rows] + [1])
    out = []
    for i, (label, value, color, url) in enumerate(rows):
        w = 0 if not value else max(2, round((width - label_w - 90) * value / top))
        out.append(
            {
                "label": label,
                "value": value,
                "color": color,
                "url": url,
                "y": i * (bar + gap),
                "w": w,
                "text_x": label_w + w + 6,
            }
        )
    return {
        "rows": out,
        "height": len(rows) * (bar + gap),
        "width": width,
        "bar": bar,
        "label_w": label_w,
        "text_y": bar // 2 + 5,
    }
