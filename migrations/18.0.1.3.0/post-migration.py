"""Stamps placement per document (18.0.1.3.0).

Documents of collections not launched yet get the default placement (next to an anchor text,
else on an appended signature page). Launched ones keep the fields laid out at their launch:
their layout stays empty and their remaining signatures go to those fields.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE esign_document
           SET stamp_placement = COALESCE(stamp_placement, 'anchor'),
               stamp_page = COALESCE(stamp_page, 1)
         WHERE stamp_placement IS NULL OR stamp_page IS NULL
        """
    )
