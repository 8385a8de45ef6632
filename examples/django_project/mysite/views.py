from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods


@require_GET
def list_items(request):
    response = JsonResponse({"items": [{"id": 1, "name": "teapot"}]})
    response["X-Request-Id"] = "req-1"
    return response


@csrf_exempt  # an API authenticated by a token header, not by cookies + forms
@require_http_methods(["PUT"])
def update_item(request, item_id):
    return JsonResponse({"id": item_id, "updated": True})


def boom(request):
    raise RuntimeError("an unhandled bug: Django answers 500 (DEBUG is off)")


def health(request):
    return HttpResponse("ok", content_type="text/plain")
