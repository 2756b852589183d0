"""Plain Python helpers (PDF, PKI, OTP, SMS gateways, evidence): no ORM access here."""
