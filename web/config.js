// Widget settings for the demo page. scripts/serve_demo.py serves a generated copy of this file with the
// Rasa URL it was given (--rasa-url); this static copy is the default for hosting web/ as plain files.
window.PainFaqWidgetConfig = { serverUrl: "http://localhost:5005" };
