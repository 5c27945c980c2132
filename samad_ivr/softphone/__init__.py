"""Browser softphones for the desks: SIP over WebSocket to Asterisk (res_pjsip), WebRTC media."""
