check rules/step5_application.rule
