from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError
from crm.network.models import (
    ApiToken,
    Brand,
    BrandModel,
    Dealer,
    DealerAlias,
    Region,
    RoleAssignment,
    StaffProfile,
)
from crm.network.two_factor import services as two_factor_services

User = get_user_model()


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class BrandModelInline(admin.TabularInline):
    model = BrandModel
    extra = 0
    fields = ("code", "name", "aliases", "position", "is_active")


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_oem_brand")
    search_fields = ("code", "name")
    inlines = [BrandModelInline]


@admin.register(BrandModel)
class BrandModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "brand", "position", "is_active")
    list_filter = ("brand", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("brand",)


class StaffInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "dealer"
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "is_active")


class DealerAliasInline(admin.TabularInline):
    model = DealerAlias
    extra = 0
    fields = ("alias",)


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "city", "time_zone", "is_active")
    list_filter = ("region", "kind", "is_active", "brands")
    search_fields = ("code", "name", "city")
    filter_horizontal = ("brands",)
    list_select_related = ("region",)
    inlines = [DealerAliasInline, StaffInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "dealer", "region", "is_active", "created_at")
    list_filter = ("role", "is_active", "region")
    search_fields = ("user__username", "user__first_name", "user__last_name", "dealer__code", "dealer__name")
    autocomplete_fields = ("user", "dealer")
    list_select_related = ("user", "dealer", "region")


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("dealer",)


class ProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [ProfileInline, RoleInline]


def _sign_in_through_the_product(request, extra_context=None):
    """The admin's own sign-in form would sign in with the password alone: it sends to the product's sign-in
    (password, then the second factor) and back."""
    if request.user.is_authenticated:
        raise PermissionDenied
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    return redirect_to_login(target, login_url=reverse("login"))


admin.site.login = _sign_in_through_the_product


@admin.action(description=_("Reset two-factor sign-in"))
def two_factor_reset(modeladmin, request, queryset):
    for user in queryset:
        try:
            two_factor_services.two_factor_reset(by=request.user, user=user)
        except ApplicationError as error:
            modeladmin.message_user(request, f"{user}: {error.message}", level=messages.WARNING)
        else:
            modeladmin.message_user(request, _("%(user)s: two-factor sign-in reset.") % {"user": user})


StaffUserAdmin.actions = [*StaffUserAdmin.actions, two_factor_reset]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    # Made on the product's page only (the key is shown once there); here they can be read, not forged.
    readonly_fields = ("user", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False
