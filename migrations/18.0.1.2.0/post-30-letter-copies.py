"""Letters now name the copy of the evidence report they keep (``evidence_report_id``), so that the
copy is protected like the original: link the copies made before, found by their content."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE engagement_letter letter
           SET evidence_report_id = copy.id
          FROM esign_collection collection
          JOIN ir_attachment report ON report.id = collection.evidence_report_id
          JOIN ir_attachment copy ON copy.checksum = report.checksum AND copy.res_model = 'engagement.letter'
         WHERE collection.id = letter.collection_id
           AND copy.res_id = letter.id
           AND letter.evidence_report_id IS NULL
        """
    )
