from . import webhook_api_token_wizard
