from . import esign_evidence_report
